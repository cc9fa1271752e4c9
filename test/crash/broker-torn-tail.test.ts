/**
 * Issue 3 acceptance through the broker: garbage and a half batch appended to the last segment
 * (as a crash mid-write leaves them) are truncated on restart; the broker serves every record
 * written before and continues the offsets after them.
 */
import { appendFileSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestBroker, tempDir, removeDir } from '../helpers/broker.js';
import { kcat } from '../helpers/clients.js';

async function values(bootstrap: string): Promise<string[]> {
  const out = await kcat(['-b', bootstrap, '-C', '-t', 'torn', '-o', 'beginning', '-e', '-f', '%o:%s\n']);
  return out.trim().split('\n').filter((l) => l !== '');
}

describe('torn segment tail', () => {
  it('is truncated at restart and the log is served and extended', async () => {
    const dataDir = tempDir('torn');
    try {
      const first = await startTestBroker({ dataDir, keepData: true });
      await kcat(['-b', first.bootstrap, '-P', '-t', 'torn'], { input: 'one\ntwo\nthree\n' });
      await kcat(['-b', first.bootstrap, '-P', '-t', 'torn'], { input: 'four\n' });
      expect(await values(first.bootstrap)).toEqual(['0:one', '1:two', '2:three', '3:four']);
      await first.stop();

      // A crash leaves no clean-shutdown marker; the tail holds half a batch and then garbage.
      rmSync(join(dataDir, '.kafka_cleanshutdown'), { force: true });
      const segment = join(dataDir, 'torn-0', '00000000000000000000.log');
      const bytes = readFileSync(segment);
      const good = statSync(segment).size;
      appendFileSync(segment, bytes.subarray(0, Math.min(40, bytes.length)));
      appendFileSync(segment, Buffer.from('\xde\xad\xbe\xef garbage after a crash', 'latin1'));

      const second = await startTestBroker({ dataDir, keepData: true });
      try {
        expect(await values(second.bootstrap)).toEqual(['0:one', '1:two', '2:three', '3:four']);
        expect(statSync(segment).size).toBe(good);
        await kcat(['-b', second.bootstrap, '-P', '-t', 'torn'], { input: 'five\n' });
        expect((await values(second.bootstrap)).at(-1)).toBe('4:five');
      } finally {
        await second.stop();
      }
    } finally {
      removeDir(dataDir);
    }
  });
});
