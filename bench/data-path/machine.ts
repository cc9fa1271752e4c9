/**
 * The machine's own limits, measured in the same run as the data-path benchmarks so results can be
 * stated as ratios against them:
 *
 * - loopback TCP: a Node writer in this process pumping 1 MiB buffers into a Node sink in a child
 *   process (two processes, like a client and the broker), MB/s;
 * - disk: sequential 1 MiB writes to a file under bench/.work (the same filesystem as the broker's
 *   data dir, never /tmp) without fsync (page cache) and with an fsync after each write, plus the
 *   rate of small appends (100 B) each followed by fdatasync — the floor under acks=-1 one record at
 *   a time.
 *
 *   npx tsx bench/data-path/machine.ts
 */
import { spawn } from 'node:child_process';
import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { isMain } from '../is-main.js';

export const BENCH_WORK = resolve(import.meta.dirname, '..', '.work');

export interface MachineLimits {
  loopbackMBps: number;
  diskWriteMBps: number;
  diskWriteFsyncMBps: number;
  smallFsyncPerSec: number;
  smallFsyncMicros: number;
  smallFsyncP99Micros: number;
}

const MB = 1e6;

/** Loopback throughput: writer here, reader in a child process that discards what it reads. */
export async function loopbackMBps(totalBytes = 4 * 1024 ** 3): Promise<number> {
  const sink = spawn(
    process.execPath,
    [
      '-e',
      `const s=require('net').createServer(c=>{let n=0;c.on('data',d=>{n+=d.length});c.on('end',()=>{c.end(String(n))})});s.listen(0,'127.0.0.1',()=>console.log(s.address().port));`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const port = await new Promise<number>((r) => sink.stdout!.once('data', (d: Buffer) => r(Number(d.toString().trim()))));
    const sock = connect({ host: '127.0.0.1', port });
    await new Promise((r) => sock.once('connect', r));
    const chunk = Buffer.alloc(1 << 20, 7);
    const t0 = performance.now();
    let sent = 0;
    await new Promise<void>((done) => {
      const pump = (): void => {
        while (sent < totalBytes) {
          sent += chunk.length;
          if (!sock.write(chunk)) return void sock.once('drain', pump);
        }
        sock.end();
        done();
      };
      pump();
    });
    const received = await new Promise<number>((r) => {
      let text = '';
      sock.on('data', (d: Buffer) => (text += d.toString()));
      sock.on('end', () => r(Number(text)));
    });
    const secs = (performance.now() - t0) / 1000;
    if (received !== sent) throw new Error(`loopback sink got ${received} of ${sent}`);
    return sent / MB / secs;
  } finally {
    sink.kill();
  }
}

export function diskWriteMBps(dir: string, totalBytes = 1024 ** 3, fsyncEach = false): number {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `disk-${process.pid}-${fsyncEach ? 'fsync' : 'plain'}.bin`);
  const chunk = Buffer.alloc(1 << 20, 1);
  const fd = openSync(path, 'w');
  try {
    const t0 = performance.now();
    for (let n = 0; n < totalBytes; n += chunk.length) {
      writeSync(fd, chunk);
      if (fsyncEach) fsyncSync(fd);
    }
    const secs = (performance.now() - t0) / 1000;
    return totalBytes / MB / secs;
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
}

/** Appends of `size` bytes, each followed by fdatasync: the rate one-at-a-time durable writes get. */
export function smallFsyncRate(dir: string, count = 2000, size = 100): { perSec: number; micros: number; p99Micros: number } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `fsync-${process.pid}.bin`);
  const buf = Buffer.alloc(size, 2);
  const fd = openSync(path, 'w');
  try {
    const each = new Float64Array(count);
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const s = performance.now();
      writeSync(fd, buf);
      fdatasyncSync(fd);
      each[i] = performance.now() - s;
    }
    const secs = (performance.now() - t0) / 1000;
    each.sort();
    return { perSec: count / secs, micros: (secs / count) * 1e6, p99Micros: each[Math.floor(count * 0.99)]! * 1000 };
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
}

export async function measureMachine(dir = join(BENCH_WORK, 'disk')): Promise<MachineLimits> {
  const loop = await loopbackMBps();
  const plain = diskWriteMBps(dir, 1024 ** 3, false);
  const synced = diskWriteMBps(dir, 512 * 1024 ** 2, true);
  const small = smallFsyncRate(dir);
  return { loopbackMBps: loop, diskWriteMBps: plain, diskWriteFsyncMBps: synced, smallFsyncPerSec: small.perSec, smallFsyncMicros: small.micros, smallFsyncP99Micros: small.p99Micros };
}

if (isMain(import.meta.url)) {
  const m = await measureMachine();
  console.log(JSON.stringify(m, null, 2));
}
