/** Shared test data: the records every golden generator in fixtures/gen/ writes, and file access. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BatchRecord } from '../../../protocol/records/records.js';
import type { RecordInput } from '../../../protocol/records/builder.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export function fixture(name: string): Buffer {
  return readFileSync(FIXTURES + name);
}

const EVENTS = ['click', 'view', 'buy'];
export const SAMPLE_BASE_TIMESTAMP = 1700000000000;

/** Same formula as GoldenJava.sample() and golden_kafka_python.sample(). */
export function sampleRecords(): Required<RecordInput>[] {
  const out: Required<RecordInput>[] = [];
  for (let i = 0; i < 25; i++) {
    out.push({
      key: i % 7 === 3 ? null : `key-${i}`,
      value:
        i % 11 === 5
          ? null
          : `{"id":${i},"user":"user-${(i * 37) % 101}","event":"${EVENTS[i % 3]}","note":"${'ab'.repeat(i)}","city":"Zürich"}`,
      headers: i % 3 === 0 ? [{ key: 'trace', value: `t-${i}` }, { key: 'empty', value: null }] : [],
      timestamp: SAMPLE_BASE_TIMESTAMP + i * 10 - (i === 4 ? 100 : 0),
      offsetDelta: i,
    });
  }
  return out;
}

/** A record as plain strings, to compare decoded records with inputs. */
export function plain(r: BatchRecord): { offsetDelta: number; timestampDelta: number; key: string | null; value: string | null; headers: [string, string | null][] } {
  return {
    offsetDelta: r.offsetDelta,
    timestampDelta: r.timestampDelta,
    key: r.key === null ? null : r.key.toString(),
    value: r.value === null ? null : r.value.toString(),
    headers: r.headers.map((h) => [h.key, h.value === null ? null : h.value.toString()]),
  };
}

export function plainInput(r: Required<RecordInput>, baseTimestamp: number): ReturnType<typeof plain> {
  return {
    offsetDelta: r.offsetDelta,
    timestampDelta: r.timestamp - baseTimestamp,
    key: r.key === null ? null : r.key.toString(),
    value: r.value === null ? null : r.value.toString(),
    headers: r.headers.map((h) => [h.key, h.value === null ? null : h.value.toString()]),
  };
}

/** 1 MiB of JSON-ish records, for round trips past the sync threshold and the benchmark. */
export function jsonish(size: number): Buffer {
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < size; i++) {
    const line = JSON.stringify({
      id: i,
      user: `user-${(i * 7919) % 10007}`,
      event: EVENTS[i % 3],
      ts: 1700000000000 + i * 13,
      price: ((i * 7) % 1000) / 10,
      tags: ['a', 'b', `t${i % 17}`],
    });
    parts.push(line);
    n += line.length + 1;
  }
  return Buffer.from(parts.join('\n')).subarray(0, size);
}
