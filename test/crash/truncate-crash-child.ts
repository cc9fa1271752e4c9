/**
 * Child process of truncate-crash.test.ts: a follower that keeps appending its leader's batches
 * (appendAsFollower, a new leader epoch each round, fetch responses sometimes cut mid-batch) and
 * truncating its log back (truncateTo, now and then truncateFullyAndStartAt) until it is killed
 * with SIGKILL. It reports on stdout:
 *   ACK <base> <last> <crc32c>      a batch is durable (after its append's `durable` resolved)
 *   TRUNCATING <offset>             a truncateTo begins
 *   TRUNC <offset> <newEnd>         it completed
 *   FULL <offset>                   a truncateFullyAndStartAt begins
 *   FULLED <offset>                 it completed
 */
import { crc32c } from '../../protocol/records/crc32c.js';
import type { Logger } from '../../src/logger.js';
import { logConfig } from '../../storage/log-config.js';
import { LogManager } from '../../storage/log-manager.js';
import { leaderBatch } from '../unit/storage/helpers.js';

const dataDir = process.argv[2]!;
const CFG = logConfig({ segmentBytes: 8 * 1024, indexIntervalBytes: 512, fileDeleteDelayMs: 0 });

const quiet = { child: () => quiet, trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {} } as unknown as Logger;
const m = await LogManager.open({ dataDir, logger: quiet, defaults: CFG, retentionCheckIntervalMs: 0, cleanerBackoffMs: 0, recoveryPointCheckpointIntervalMs: 40, replicated: true });
const log = await m.create('trunc.test', 0, CFG);
const out = (line: string) => process.stdout.write(`${line}\n`);
out(`READY ${log.logEndOffset}`);

const rnd = (n: number) => Math.floor(Math.random() * n);
let round = 0;
for (;;) {
  round++;
  const epoch = Math.max(log.leaderEpochs.latestEpoch, 0) + 1;
  for (let k = 3 + rnd(10); k > 0; k--) {
    const batches: Buffer[] = [];
    let base = log.logEndOffset;
    for (let n = 1 + rnd(4); n > 0; n--) {
      const count = 1 + rnd(10);
      batches.push(leaderBatch(base, count, epoch, 10 + rnd(300), `${process.pid}-${round}-${base}`));
      base += count + (rnd(8) === 0 ? 1 + rnd(3) : 0); // now and then a hole, as a compacted leader has
    }
    // a fetch response cut inside its last batch: the cut batch is dropped
    const cutTail = rnd(4) === 0 ? leaderBatch(base, 3, epoch).subarray(0, 20 + rnd(40)) : Buffer.alloc(0);
    const r = log.appendAsFollower(Buffer.concat([...batches, cutTail]));
    await r.durable;
    log.updateHighWatermark(log.durableEndOffset);
    for (const b of batches) {
      const first = Number(b.readBigInt64BE(0));
      out(`ACK ${first} ${first + b.readInt32BE(23)} ${crc32c(b)}`);
    }
  }
  const start = log.logStartOffset;
  const end = log.logEndOffset;
  if (rnd(12) === 0) {
    const at = end + rnd(5);
    out(`FULL ${at}`);
    await log.truncateFullyAndStartAt(at);
    out(`FULLED ${at}`);
  } else if (end > start) {
    const at = Math.max(start, end - 1 - rnd(Math.max(1, Math.floor((end - start) * 0.6))));
    out(`TRUNCATING ${at}`);
    const newEnd = await log.truncateTo(at);
    out(`TRUNC ${at} ${newEnd}`);
  }
}
