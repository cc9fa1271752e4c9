/**
 * Child process of storage-crash.test.ts: appends acks=-1-style batches from several concurrent
 * writers until it is killed with SIGKILL. Each batch is acknowledged on stdout only after its
 * `durable` promise resolved: `ACK <baseOffset> <byteLength> <crc32c of the stamped bytes>`.
 * Batches are stamped with a new leader epoch every 40 appends (each run starting above the log's
 * newest), so the leader-epoch-checkpoint is rewritten often while the kill can come.
 */
import { crc32c } from '../../protocol/records/crc32c.js';
import type { Logger } from '../../src/logger.js';
import { logConfig } from '../../storage/log-config.js';
import { LogManager } from '../../storage/log-manager.js';
import { makeBatch } from '../unit/storage/helpers.js';

const dataDir = process.argv[2]!;
const writers = Number(process.argv[3] ?? 8);
const CRASH_LOG_CONFIG = logConfig({ segmentBytes: 96 * 1024, indexIntervalBytes: 1024 });

// A no-op logger: loading pino would add to every one of the 50+ child start-ups.
const quiet = { child: () => quiet, trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {} } as unknown as Logger;
const m = await LogManager.open({ dataDir, logger: quiet, defaults: CRASH_LOG_CONFIG, retentionCheckIntervalMs: 0, cleanerBackoffMs: 0, recoveryPointCheckpointIntervalMs: 50 });
const log = await m.create('crash.test', 0, CRASH_LOG_CONFIG);
process.stdout.write(`READY ${log.highWatermark}\n`);

let n = 0;
let appended = 0;
const firstEpoch = log.leaderEpochs.latestEpoch + 1;
async function writer(id: number): Promise<void> {
  for (;;) {
    const count = 1 + ((n * 7 + id) % 20);
    const size = 10 + ((n * 131 + id * 17) % 400);
    n++;
    const b = makeBatch(Array.from({ length: count }, (_, i) => ({ key: `w${id}-${n}-${i}`, value: Buffer.alloc(size, (n + i) & 0xff) })));
    const r = log.append(b, firstEpoch + Math.floor(appended++ / 40));
    await r.durable;
    process.stdout.write(`ACK ${r.baseOffset} ${b.length} ${crc32c(b)}\n`);
  }
}
await Promise.all(Array.from({ length: writers }, (_, i) => writer(i)));
