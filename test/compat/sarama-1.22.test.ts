/**
 * sarama 1.22 (Debian 12's Go Kafka client, golang-github-shopify-sarama-dev; here the same
 * release as a Go module, github.com/Shopify/sarama v1.22.1) writes record batches whose header
 * maxTimestamp is -1. Kafka recomputes it from the records; Runnel stored it as sent, so
 * ListOffsets by timestamp answered -1 for everything sarama 1.22 produced. The program in
 * test/compat/clients/go-sarama122 produces records with chosen timestamps (uncompressed and gzip)
 * and asks sarama's own GetOffset (ListOffsets v1) for offsets by timestamp.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { run } from '../helpers/clients.js';
import { goCommand } from './clients/scenario.js';

const go = goCommand();
const DIR = join(REPO_ROOT, 'test', 'compat', 'clients', 'go-sarama122');
const BIN = join(REPO_ROOT, 'test', '.work', 'compat-go', 'sarama122');
const BASE = 1_700_000_000_000;

let broker: TestBroker;
beforeAll(async () => {
  if (go === null) return;
  broker = await startTestBroker();
  mkdirSync(join(BIN, '..'), { recursive: true });
  // -mod=readonly: go.sum pins every module; test/compat/clients/setup.sh downloaded them.
  const r = await run(go, ['-C', DIR, 'build', '-mod=readonly', '-o', BIN, '.'], { timeoutMs: 10 * 60_000 });
  if (r.code !== 0) throw new Error(`go build in ${DIR} failed (exit ${r.code}):\n${r.stderr}`);
}, 600_000);
afterAll(async () => {
  await broker?.cleanup();
});

async function sarama(o: Record<string, unknown>): Promise<{ produced: number[]; offsets: Record<string, number>; error?: string }> {
  const r = await run(BIN, [JSON.stringify({ bootstrap: broker.bootstrap, base: BASE, ...o })], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`sarama122 exited ${r.code}:\n${r.stderr.slice(-3000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe.skipIf(go === null)(`sarama 1.22${go === null ? ' (skipped: no go toolchain)' : ''}`, () => {
  it('ListOffsets by timestamp finds the records it produced (uncompressed and gzip)', async () => {
    // Offsets 0-2 at BASE+0,+5,+2, one batch; then 3-5 at BASE+10,+15,+12 gzipped.
    const first = await sarama({ topic: 'sarama122', deltas: [0, 5, 2], queries: [0, 3, 5, 6] });
    expect(first).toEqual({ produced: [0, 1, 2], offsets: { '0': 0, '3': 1, '5': 1, '6': -1 } });
    const second = await sarama({ topic: 'sarama122', deltas: [10, 15, 12], queries: [0, 6, 11, 13, 15, 16], compression: 'gzip' });
    expect(second).toEqual({ produced: [3, 4, 5], offsets: { '0': 0, '6': 3, '11': 4, '13': 4, '15': 4, '16': -1 } });
  }, 120_000);
});
