/**
 * Crash test: a child process appends acks=-1-style batches (durable before ACK) and is killed
 * with SIGKILL at random moments, over and over. Between runs the parent sometimes tears the tail
 * of the last segment (garbage or a half batch, as a power cut could leave). After every restart:
 * every acknowledged batch is present, in order, with the same offset and bytes; every visible
 * batch is valid and offsets are contiguous; nothing after a torn tail is visible. The child moves
 * to a new leader epoch every 40 appends: the leader-epoch-checkpoint the kill leaves is whole
 * (never torn), and after the restart the epoch cache names every batch's epoch.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32c } from '../../protocol/records/crc32c.js';
import { silentLogger } from '../../src/logger.js';
import { logConfig } from '../../storage/log-config.js';
import { LogManager } from '../../storage/log-manager.js';
import { LeaderEpochCheckpointFile } from '../../storage/leader-epoch-checkpoint.js';
import { realFs } from '../../storage/fs.js';
import { batchCrcOk, makeBatch, readAllBatches, tempDir } from '../unit/storage/helpers.js';

const CYCLES = Number(process.env.CRASH_CYCLES ?? 50);
const cfg = logConfig({ segmentBytes: 96 * 1024, indexIntervalBytes: 1024 });
const tmp = tempDir('runnel-crash-');
afterAll(() => tmp.cleanup());

interface Ack {
  length: number;
  crc: number;
}

function runChild(dataDir: string, acks: Map<number, Ack>, killAfterMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'storage-crash-child.ts'), dataDir, String(1 + Math.floor(Math.random() * 4))], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: join(import.meta.dirname, '..', '..'),
    });
    let buf = '';
    let stderr = '';
    let ackCount = 0;
    let timer: NodeJS.Timeout | null = null;
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const [kind, a, b, c] = line.split(' ');
        if (kind === 'READY') timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        else if (kind === 'ACK') {
          acks.set(Number(a), { length: Number(b), crc: Number(c) });
          ackCount++;
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited early (code ${code}): ${stderr}`));
      else resolve(ackCount);
    });
  });
}

function tearTail(partitionDir: string, kind: number): void {
  const logs = readdirSync(partitionDir).filter((n) => n.endsWith('.log')).sort();
  const last = join(partitionDir, logs[logs.length - 1]!);
  if (kind === 0) appendFileSync(last, Buffer.from('garbage after the last batch \u0000\u0001\u0002'));
  else {
    const half = makeBatch([{ value: 'x'.repeat(500) }], { baseOffset: 1e9 });
    appendFileSync(last, half.subarray(0, 20 + Math.floor(Math.random() * (half.length - 30))));
  }
}

describe('storage crash safety (kill -9)', () => {
  it(`keeps every acknowledged batch across ${CYCLES} kill -9 cycles`, { timeout: 240_000 }, async () => {
    const dataDir = tmp.dir;
    const acks = new Map<number, Ack>();
    let totalAcks = 0;
    let torn = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const t0 = performance.now();
      totalAcks += await runChild(dataDir, acks, 20 + Math.random() * 150);
      const t1 = performance.now();
      const partitionDir = join(dataDir, 'crash.test-0');
      if (cycle % 3 === 1) {
        tearTail(partitionDir, cycle % 2);
        torn++;
      }
      // The epoch checkpoint as the kill left it: the old or the new one (or none yet), never torn.
      const leftEpochs = await new LeaderEpochCheckpointFile(realFs, partitionDir).read();
      expect(leftEpochs.kind, JSON.stringify(leftEpochs)).not.toBe('corrupt');
      const m = await LogManager.open({ dataDir, logger: silentLogger(), defaults: cfg, retentionCheckIntervalMs: 0, cleanerBackoffMs: 0 });
      expect(m.stats.uncleanShutdown).toBe(true);
      const log = m.get('crash.test', 0)!;
      const batches = await readAllBatches(log);
      // contiguous, valid, and exactly the bytes on disk (nothing past a torn tail)
      let expected = 0;
      let bytes = 0;
      const epochs = log.leaderEpochs;
      for (const b of batches) {
        expect(batchCrcOk(b)).toBe(true);
        const base = Number(b.readBigInt64BE(0));
        expect(epochs.epochForOffset(base), `epoch of the batch at ${base} after cycle ${cycle}`).toBe(b.readInt32BE(12));
        expect(base).toBe(expected);
        expected = base + b.readInt32BE(23) + 1;
        bytes += b.length;
        const ack = acks.get(base);
        if (ack) {
          expect(b.length).toBe(ack.length);
          expect(crc32c(b)).toBe(ack.crc);
        }
      }
      expect(log.highWatermark).toBe(expected);
      const onDisk = readdirSync(partitionDir).filter((n) => n.endsWith('.log')).reduce((s, n) => s + statSync(join(partitionDir, n)).size, 0);
      expect(onDisk).toBe(bytes);
      // every acknowledged batch is there
      const present = new Set(batches.map((b) => Number(b.readBigInt64BE(0))));
      for (const off of acks.keys()) expect(present.has(off), `acked batch at offset ${off} missing after cycle ${cycle}`).toBe(true);
      // Half the time shut down cleanly (next child loads fast), half the time leave it "crashed".
      // The verifying manager is always closed — left open, its checkpoint timer would race the
      // next child for the same files — and a "crash" just removes the clean-shutdown marker.
      await m.close();
      if (cycle % 2 === 1) rmSync(join(dataDir, '.kafka_cleanshutdown'), { force: true });
      if (process.env.CRASH_VERBOSE) console.log(`cycle ${cycle}: child ${Math.round(t1 - t0)} ms, verify ${Math.round(performance.now() - t1)} ms, ${batches.length} batches, ${bytes} bytes`);
    }
    expect(totalAcks).toBeGreaterThan(CYCLES);
    expect(torn).toBeGreaterThanOrEqual(Math.floor(CYCLES / 3));
  });
});
