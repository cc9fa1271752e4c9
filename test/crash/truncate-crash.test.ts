/**
 * Crash test for truncation: a child process plays a follower — appendAsFollower rounds under a
 * new leader epoch, then truncateTo (now and then truncateFullyAndStartAt) — and is killed with
 * SIGKILL at random moments, many of them mid-truncation (a truncation is a dozen fsyncs: segment
 * renames, the cut, the epoch and manager checkpoints). After every restart:
 *  - the log is valid: every batch passes its CRC, offsets increase, every batch is found through
 *    the indexes from each of its offsets (an index left pointing past a cut file end is rebuilt);
 *  - every acknowledged batch that no truncation (begun or finished) covers is there, same bytes;
 *  - of a truncation cut short by the kill, what is left is a prefix (no hole);
 *  - nothing a finished truncation removed is back;
 *  - the leader-epoch cache names every batch's epoch (no stale recovery point or epoch file);
 *  - the high watermark is within [log start, log end].
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32c } from '../../protocol/records/crc32c.js';
import { silentLogger } from '../../src/logger.js';
import { logConfig } from '../../storage/log-config.js';
import { LogManager } from '../../storage/log-manager.js';
import { batchCrcOk, batchInfo, readAllBatches, tempDir } from '../unit/storage/helpers.js';

const CYCLES = Number(process.env.CRASH_CYCLES ?? 20);
const cfg = logConfig({ segmentBytes: 8 * 1024, indexIntervalBytes: 512, fileDeleteDelayMs: 0 });
const tmp = tempDir('runnel-trunc-crash-');
afterAll(() => tmp.cleanup());

interface Model {
  /** Acknowledged batches no truncation covers: base → [last, crc]. */
  required: Map<number, { last: number; crc: number }>;
  /** Acknowledged batches a truncation that began may or may not have removed. */
  maybe: Map<number, { last: number; crc: number }>;
  /** CRCs of batches a finished truncation removed. */
  gone: Set<number>;
  /** A truncation was under way when the child died. */
  midTruncation: boolean;
}

function apply(model: Model, line: string): void {
  const [kind, a, b, c] = line.split(' ');
  if (kind === 'ACK') {
    model.required.set(Number(a), { last: Number(b), crc: Number(c) });
  } else if (kind === 'TRUNCATING' || kind === 'FULL') {
    const at = kind === 'FULL' ? -1 : Number(a);
    for (const [base, e] of model.required) {
      if (e.last >= at) {
        model.required.delete(base);
        model.maybe.set(base, e);
      }
    }
    model.midTruncation = true;
  } else if (kind === 'TRUNC' || kind === 'FULLED') {
    for (const e of model.maybe.values()) model.gone.add(e.crc);
    model.maybe.clear();
    model.midTruncation = false;
  }
}

function runChild(dataDir: string, model: Model, killAfterMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'truncate-crash-child.ts'), dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: join(import.meta.dirname, '..', '..'),
    });
    let buf = '';
    let stderr = '';
    let timer: NodeJS.Timeout | null = null;
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('READY')) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        else apply(model, line);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited early (code ${code}): ${stderr}`));
      else resolve();
    });
  });
}

async function check(dataDir: string, model: Model): Promise<{ batches: number }> {
  const m = await LogManager.open({ dataDir, logger: silentLogger(), defaults: cfg, retentionCheckIntervalMs: 0, cleanerBackoffMs: 0, recoveryPointCheckpointIntervalMs: 0, replicated: true });
  const log = m.get('trunc.test', 0)!;
  expect(log.highWatermark).toBeGreaterThanOrEqual(log.logStartOffset);
  expect(log.highWatermark).toBeLessThanOrEqual(log.logEndOffset);
  log.updateHighWatermark(log.visibleEndOffset);
  const batches = await readAllBatches(log);
  let prevLast = log.logStartOffset - 1;
  const present = new Map<number, number>();
  for (const b of batches) {
    const { base, last, epoch } = batchInfo(b);
    expect(batchCrcOk(b)).toBe(true);
    expect(base).toBeGreaterThan(prevLast);
    prevLast = last;
    const crc = crc32c(b);
    present.set(base, crc);
    expect(model.gone.has(crc), `batch at ${base} came back after its truncation finished`).toBe(false);
    expect(log.leaderEpochs.epochForOffset(base), `epoch of the batch at ${base}`).toBe(epoch);
    const found = await log.readBatches(last, 1);
    expect(found[0]).toEqual(b);
  }
  for (const [base, e] of model.required) expect(present.get(base), `acknowledged batch at ${base}`).toBe(e.crc);
  // A truncation under way may have been cut short, leaving a prefix of what it was removing:
  // never a hole (a later batch kept while an earlier one is gone).
  const maybe = [...model.maybe.entries()].sort((x, y) => x[0] - y[0]);
  const kept = maybe.map(([base, e]) => present.get(base) === e.crc);
  expect(kept.indexOf(false) < 0 || kept.lastIndexOf(true) < kept.indexOf(false), 'a hole in a truncation cut short').toBe(true);
  // What recovery kept of it is now simply the log.
  for (const [base, e] of model.maybe) if (present.get(base) === e.crc) model.required.set(base, e);
  for (const e of model.maybe.values()) if (![...present.values()].includes(e.crc)) model.gone.add(e.crc);
  model.maybe.clear();
  await m.close();
  return { batches: batches.length };
}

describe('truncation crash safety (kill -9)', () => {
  it(`keeps the log valid and whole across ${CYCLES} kill -9 cycles of appends and truncations`, { timeout: 240_000 }, async () => {
    const model: Model = { required: new Map(), maybe: new Map(), gone: new Set(), midTruncation: false };
    let midTruncationKills = 0;
    let maxBatches = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await runChild(tmp.dir, model, 150 + Math.floor(Math.random() * 900));
      if (model.midTruncation) midTruncationKills++;
      model.midTruncation = false;
      const r = await check(tmp.dir, model);
      maxBatches = Math.max(maxBatches, r.batches);
    }
    expect(maxBatches).toBeGreaterThan(10);
    expect(model.gone.size).toBeGreaterThan(0);
    if (CYCLES >= 20) expect(midTruncationKills).toBeGreaterThan(0);
    console.log(`truncate-crash: ${CYCLES} cycles, ${midTruncationKills} killed mid-truncation, ${model.gone.size} batches truncated away`);
  });
});
