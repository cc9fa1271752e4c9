/**
 * Compaction through the broker with real clients: a compacted topic written by kafkajs with gzip
 * (compressed batches) and by kcat uncompressed keeps only the latest value per key, drops
 * tombstones past delete.retention.ms, and preserves offsets, as consumers then see.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { kcat } from '../helpers/clients.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.cleanup();
});

async function consumeAll(topic: string): Promise<Array<{ offset: number; key: string; value: string | null }>> {
  const out = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-Z', '-f', '%o\t%k\t%S\t%s\n']);
  return out
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [offset, key, size, value] = l.split('\t');
      return { offset: Number(offset), key: key!, value: size === '-1' ? null : (value ?? '') };
    });
}

describe('compaction', () => {
  it('keeps the latest value per key in compressed and plain batches, with offsets preserved', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic: 'compacted',
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.bytes', value: '2048' },
            { name: 'delete.retention.ms', value: '0' },
            { name: 'min.cleanable.dirty.ratio', value: '0.01' },
          ],
        },
      ],
    });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    // Ten rounds over the same 20 keys, gzip-compressed, one batch per round.
    for (let round = 0; round < 10; round++) {
      await producer.send({
        topic: 'compacted',
        compression: CompressionTypes.GZIP,
        messages: Array.from({ length: 20 }, (_, k) => ({ key: `key-${k}`, value: `round-${round}-key-${k}` })),
      });
    }
    await producer.disconnect();
    // Uncompressed updates from kcat, and tombstones (-Z: empty value is null) for two keys.
    await kcat(['-b', broker.bootstrap, '-P', '-t', 'compacted', '-K', ':', '-Z'], { input: 'key-0:kcat-value-0\nkey-1:kcat-value-1\nkey-2:\nkey-3:\n' });
    // More rounds so the segments holding the updates are no longer active.
    const p2 = kafka.producer();
    await p2.connect();
    for (let round = 0; round < 5; round++) {
      // Uncompressed and incompressible enough to fill segments past segment.bytes.
      await p2.send({ topic: 'compacted', messages: [{ key: 'filler', value: Array.from({ length: 100 }, (_, i) => ((i * 7919 + round) % 9973).toString(36)).join('') }] });
    }
    await p2.disconnect();

    const before = await consumeAll('compacted');
    expect(before.length).toBe(200 + 4 + 5);
    const log = broker.broker.topics.partitionLog('compacted', 0)!;
    await broker.broker.logs.runCompactionNow({ force: true });
    const after = await consumeAll('compacted');

    // Latest value per key, at its original offset.
    const latest = new Map<string, { offset: number; value: string | null }>();
    for (const r of before) latest.set(r.key, { offset: r.offset, value: r.value });
    const survivors = after.filter((r) => r.key !== 'filler');
    for (const r of survivors) expect(latest.get(r.key)).toEqual({ offset: r.offset, value: r.value });
    const keys = survivors.map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain('key-0');
    expect(survivors.find((r) => r.key === 'key-0')!.value).toBe('kcat-value-0');
    expect(survivors.find((r) => r.key === 'key-5')!.value).toBe('round-9-key-5');
    // Tombstones past delete.retention.ms=0 are gone, and so are their keys' older values.
    expect(keys).not.toContain('key-2');
    expect(keys).not.toContain('key-3');
    expect(after.length).toBeLessThan(before.length / 3);
    // Offsets only ever increase, the log end did not move.
    const offsets = after.map((r) => r.offset);
    expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);
    expect(log.highWatermark).toBe(before.length);
  });
});
