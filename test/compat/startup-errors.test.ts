/**
 * Issue 2: startup failures are clear — port taken, data dir unusable, bad config — and the
 * process exits non-zero without hanging.
 */
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, removeDir, spawnBroker, startTestBroker, tempDir } from '../helpers/broker.js';
import { run } from '../helpers/clients.js';
import { RawClient } from '../helpers/raw-client.js';

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

  // Issue 14 item 9, then issue 20: no SASL yet, so a listener that asks for it must not start and
  // serve unauthenticated; an SSL listener needs its key store.
  it('refuses a listener whose security protocol is SASL, and an SSL listener without a key store, naming the key', async () => {
    for (const protocol of ['SASL_SSL', 'SASL_PLAINTEXT']) {
      const r = await run(process.execPath, [CLI, `--listeners=${protocol}://127.0.0.1:0`, `--log.dirs=${dir()}`], { timeoutMs: 15000 });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`Listener ${protocol}://127.0.0.1:0 in listeners uses security protocol ${protocol}, but Runnel serves only PLAINTEXT and SSL`);
    }
    // A custom name mapped to SASL, and an advertised listener of a name that is not served.
    const mapped = await run(process.execPath, [CLI, '--listeners=CLIENT://127.0.0.1:0', '--listener.security.protocol.map=CLIENT:sasl_ssl', `--log.dirs=${dir()}`], { timeoutMs: 15000 });
    expect(mapped.code).toBe(2);
    expect(mapped.stderr).toContain('configuration listener.security.protocol.map: CLIENT:SASL_SSL asks for SASL_SSL, but Runnel serves only PLAINTEXT and SSL');
    const advertised = await run(process.execPath, [CLI, '--listeners=PLAINTEXT://127.0.0.1:0', '--advertised.listeners=SASL_SSL://localhost:9093', `--log.dirs=${dir()}`], { timeoutMs: 15000 });
    expect(advertised.code).toBe(2);
    expect(advertised.stderr).toContain('in advertised.listeners uses security protocol SASL_SSL');
    const ssl = await run(process.execPath, [CLI, '--listeners=SSL://127.0.0.1:0', `--log.dirs=${dir()}`], { timeoutMs: 15000 });
    expect(ssl.code).toBe(2);
    expect(ssl.stderr).toContain("An SSL or SASL_SSL listener (or an HTTPS port) needs the broker's key and certificate");
    const jks = await run(process.execPath, [CLI, '--listeners=SSL://127.0.0.1:0', '--ssl.keystore.location=/etc/kafka/broker.jks', `--log.dirs=${dir()}`], { timeoutMs: 15000 });
    expect(jks.code).toBe(2);
    expect(jks.stderr).toContain('ssl.keystore.type is JKS');
  });

  it('refuses any SASL entry of listener.security.protocol.map, and a listener missing from it', async () => {
    const unused = await run(process.execPath, [CLI, '--listeners=INTERNAL://127.0.0.1:0', '--listener.security.protocol.map=INTERNAL:PLAINTEXT,EXTERNAL:SASL_SSL', `--log.dirs=${dir()}`], {
      timeoutMs: 15000,
    });
    expect(unused.code).toBe(2);
    expect(unused.stderr).toContain('listener.security.protocol.map: EXTERNAL:SASL_SSL asks for SASL_SSL');
    const env = await run(process.execPath, [CLI, '--listeners=INTERNAL://127.0.0.1:0', `--log.dirs=${dir()}`], { timeoutMs: 15000, env: { KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'INTERNAL:SASL_PLAINTEXT' } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('listener.security.protocol.map');
    const missing = await run(process.execPath, [CLI, '--listeners=INTERNAL://127.0.0.1:0', `--log.dirs=${dir()}`], { timeoutMs: 15000 });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Listener INTERNAL://127.0.0.1:0 in listeners has no security protocol: add INTERNAL:PLAINTEXT to listener.security.protocol.map');
  });

  it('serves a listener with a custom name mapped to PLAINTEXT', async () => {
    const b = await spawnBroker(dir(), { listeners: 'INTERNAL://127.0.0.1:0', 'listener.security.protocol.map': 'INTERNAL:PLAINTEXT' });
    try {
      const c = await RawClient.connect(b.host, b.port);
      const r = await c.request(18, 3, { clientSoftwareName: 'startup-test', clientSoftwareVersion: '1' });
      expect(r?.errorCode).toBe(0);
      c.close();
    } finally {
      await b.kill('SIGTERM');
    }
  });
});
