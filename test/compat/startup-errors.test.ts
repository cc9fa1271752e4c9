/**
 * Issue 2: startup failures are clear — port taken, data dir unusable, bad config — and the
 * process exits non-zero without hanging.
 */
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, removeDir, startTestBroker, tempDir } from '../helpers/broker.js';
import { run } from '../helpers/clients.js';

const CLI = join(REPO_ROOT, 'dist', 'runnel.mjs');
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

function dir(): string {
  const d = tempDir('startup');
  dirs.push(d);
  return d;
}

describe('startup errors', () => {
  it('names the listener and port when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await run(process.execPath, [CLI, `--listeners=PLAINTEXT://127.0.0.1:${port}`, `--log.dirs=${dir()}`], { timeoutMs: 15000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot bind 127.0.0.1:${port}: the port is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('refuses a data dir that is a file', async () => {
    const file = join(dir(), 'not-a-dir');
    writeFileSync(file, 'x');
    const r = await run(process.execPath, [CLI, '--listeners=PLAINTEXT://127.0.0.1:0', `--log.dirs=${file}`], { timeoutMs: 15000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Data directory .*not-a-dir is not usable/);
  });

  it('refuses a data dir already used by a running broker', async () => {
    const d = dir();
    const b = await startTestBroker({ dataDir: d, keepData: true });
    try {
      const r = await run(process.execPath, [CLI, '--listeners=PLAINTEXT://127.0.0.1:0', `--log.dirs=${d}`], { timeoutMs: 15000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/is already used by a broker|in use by another broker/);
    } finally {
      await b.stop();
    }
  });

  it('names an unknown or invalid config key and exits 2', async () => {
    const r1 = await run(process.execPath, [CLI, '--no.such.setting=1'], { timeoutMs: 15000 });
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain("Unknown configuration 'no.such.setting'");
    const r2 = await run(process.execPath, [CLI, `--log.dirs=${dir()}`], { timeoutMs: 15000, env: { KAFKA_NUM_PARTITIONS: 'many' } });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/num.partitions/);
  });
});
