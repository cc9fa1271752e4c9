/**
 * The machine's limits, measured in the same run as the workloads, on the disk that holds the
 * brokers' data dirs (bench/.work/suite):
 *
 * - loopback TCP: a plain Node socket pair (writer here, reader in a child process: like a client
 *   and a broker), the native C pair of rdbench (one writer and one reader thread, 1 MiB buffers),
 *   and iperf3 when it is installed;
 * - sequential disk write: 1 MiB writes of 1 GiB (512 MiB in quick mode), one fdatasync at the end;
 * - fsync'd appends: 100 B write + fdatasync, 2,000 times (what one acks=-1 record at a time costs
 *   when every append is durable).
 *
 *   node dist/bench/suite/limits.js   (or npx tsx bench/suite/limits.ts)
 */
import { closeSync, fdatasyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { loopbackMBps, smallFsyncRate } from '../data-path/machine.js';
import { WORK, commandExists, freePort, lastJson, run, sleep, spawnTracked } from './lib/common.js';
import { rdbench } from './lib/rdbench.js';
import { isMain } from '../is-main.js';

export interface Limits {
  loopbackNodeMBps: number;
  loopbackCMBps: number | null;
  loopbackIperf3MBps: number | null;
  diskSeqWriteMBps: number;
  fsyncAppendsPerSec: number;
  fsyncAppendMicros: number;
  fsyncAppendP99Micros: number;
}

export function seqWriteMBps(dir: string, totalBytes: number): number {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `seq-${process.pid}.bin`);
  const chunk = Buffer.alloc(1 << 20, 1);
  const fd = openSync(path, 'w');
  try {
    const t0 = performance.now();
    for (let n = 0; n < totalBytes; n += chunk.length) writeSync(fd, chunk);
    fdatasyncSync(fd);
    return totalBytes / 1e6 / ((performance.now() - t0) / 1000);
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
}

async function iperf3MBps(): Promise<number | null> {
  if (!commandExists('iperf3')) return null;
  const port = await freePort();
  const server = spawnTracked('iperf3', ['-s', '-1', '-B', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  try {
    await sleep(300);
    const r = await run('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', '3', '-J'], { timeoutMs: 30_000 });
    if (r.code !== 0) return null;
    const j = lastJson<{ end: { sum_received: { bits_per_second: number } } }>(r.stdout.replace(/\n/g, ' '), 'iperf3');
    return j.end.sum_received.bits_per_second / 8 / 1e6;
  } catch {
    return null;
  } finally {
    server.kill('SIGKILL');
  }
}

export async function measureLimits(quick: boolean, log: (s: string) => void = console.error): Promise<Limits> {
  const dir = join(WORK, 'disk');
  const loopbackNodeMBps = await loopbackMBps((quick ? 1 : 2) * 1024 ** 3);
  let loopbackCMBps: number | null = null;
  try {
    loopbackCMBps = (await rdbench<{ MBps: number }>('loopback', [(quick ? 1 : 4) * 1024 ** 3])).MBps;
  } catch (e) {
    log(`  native loopback not measured: ${(e as Error).message.split('\n')[0]}`);
  }
  const loopbackIperf3MBps = await iperf3MBps();
  const diskSeqWriteMBps = seqWriteMBps(dir, (quick ? 512 : 1024) * 1024 ** 2);
  const small = smallFsyncRate(dir, quick ? 1000 : 2000, 100);
  rmSync(dir, { recursive: true, force: true });
  return {
    loopbackNodeMBps,
    loopbackCMBps,
    loopbackIperf3MBps,
    diskSeqWriteMBps,
    fsyncAppendsPerSec: small.perSec,
    fsyncAppendMicros: small.micros,
    fsyncAppendP99Micros: small.p99Micros,
  };
}

if (isMain(import.meta.url)) {
  console.log(JSON.stringify(await measureLimits(process.argv.includes('--quick')), null, 2));
}
