/**
 * kafka-python 2.0.2 (Debian 12) pinned to old api_versions sends request versions Kafka 4.0
 * removed (KIP-896): Produce v0/v2 with message formats v0/v1, Fetch v0/v3, OffsetCommit v0/v1,
 * OffsetFetch v0/v1 (test/compat/py/kp_old_api.py). Each produces, consumes part of a topic while
 * committing, and after a broker restart resumes at the committed offsets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, startTestBroker, tempDir, type TestBroker } from '../helpers/broker.js';
import { python } from '../helpers/clients.js';
import { connectRaw, createTopics } from '../helpers/topic-admin.js';

const dataDir = tempDir('kp-old-api');
const CONFIG = { 'group.initial.rebalance.delay.ms': 0 };
let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ dataDir, keepData: true, config: CONFIG });
});
afterAll(async () => {
  await broker?.cleanup();
  removeDir(dataDir);
});

interface Consumed {
  p: number;
  o: number;
  v: string;
}

describe('kafka-python 2.0.2 with old api_versions', () => {
  for (const [api, compression] of [
    [[0, 8, 1], null],
    [[0, 8, 2], 'gzip'],
    [[0, 10, 1], 'gzip'],
  ] as const) {
    it(`api_version ${api.join('.')}: produces, commits, resumes after a broker restart`, async () => {
      const topic = `kp-${api.join('')}`;
      const admin = await connectRaw(broker.bootstrap);
      expect((await createTopics(admin, [{ name: topic, numPartitions: 2 }]))[0]!.errorCode).toBe(0);
      admin.close();
      const base = { api, topic, partitions: 2, group: `g-${topic}` };
      const produced = await python<{ produced: number[] }>('kp_old_api.py', { ...base, mode: 'produce', bootstrap: broker.bootstrap, count: 20, prefix: 'r', compression });
      expect(produced.produced).toHaveLength(20);
      const first = await python<{ consumed: Consumed[] }>('kp_old_api.py', { ...base, mode: 'consume', bootstrap: broker.bootstrap, count: 7 });
      expect(first.consumed).toHaveLength(7);
      await broker.cleanup();
      broker = await startTestBroker({ dataDir, keepData: true, config: CONFIG });
      const second = await python<{ committed: Record<string, number | null>; consumed: Consumed[] }>('kp_old_api.py', { ...base, mode: 'consume', bootstrap: broker.bootstrap, count: 13 });
      const next: Record<string, number> = {};
      for (const c of first.consumed) next[c.p] = Math.max(next[c.p] ?? 0, c.o + 1);
      expect(second.committed).toEqual({ 0: next[0] ?? null, 1: next[1] ?? null });
      expect([...first.consumed, ...second.consumed].map((c) => c.v).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`).sort());
    }, 120_000);
  }
});
