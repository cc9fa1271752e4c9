/**
 * How to send a segment file slice to a socket: fs.read into a buffer then socket.write, or
 * fs.createReadStream(...).pipe(socket). Measured over loopback for slice sizes from 4 KiB to
 * 4 MiB; src/server/response-writer.ts picks its STREAM_THRESHOLD from this.
 *
 *   npx tsx bench/foundation/fetch-slices.ts
 */
import { createReadStream, read, openSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';

const WORK = join(resolve(import.meta.dirname, '..', '..'), 'bench', '.work');
mkdirSync(WORK, { recursive: true });
const file = join(WORK, 'slices.bin');
writeFileSync(file, Buffer.alloc(64 * 1024 * 1024, 7));
const fd = openSync(file, 'r');

function readSlice(position: number, length: number): Promise<Buffer> {
  return new Promise((res, rej) => {
    const b = Buffer.allocUnsafe(length);
    read(fd, b, 0, length, position, (err) => (err ? rej(err) : res(b)));
  });
}

function pipeSlice(sock: Socket, position: number, length: number): Promise<void> {
  return new Promise((res, rej) => {
    const s = createReadStream('', { fd, start: position, end: position + length - 1, autoClose: false, highWaterMark: 256 * 1024 });
    s.on('error', rej);
    s.on('end', () => res());
    s.pipe(sock, { end: false });
  });
}

function waitDrain(sock: Socket): Promise<void> {
  return sock.writableNeedDrain ? new Promise((r) => sock.once('drain', () => r())) : Promise.resolve();
}

async function run(mode: 'read' | 'stream', size: number, totalBytes: number): Promise<number> {
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const server = createServer((s) => s.on('data', (d: Buffer) => {
    received += d.length;
    if (received >= totalBytes) done();
  }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const sock = connect((server.address() as { port: number }).port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const t0 = performance.now();
  let pos = 0;
  for (let sent = 0; sent < totalBytes; sent += size) {
    if (mode === 'read') sock.write(await readSlice(pos, size));
    else await pipeSlice(sock, pos, size);
    await waitDrain(sock);
    pos = (pos + size) % (64 * 1024 * 1024 - size);
  }
  await finished;
  const ms = performance.now() - t0;
  sock.destroy();
  server.close();
  return totalBytes / 1e6 / (ms / 1000);
}

console.log('slice size   fs.read+write MB/s   createReadStream MB/s');
for (const size of [4096, 16384, 65536, 262144, 1048576, 4194304]) {
  const total = Math.max(size * 200, 256 * 1024 * 1024);
  const a = await run('read', size, total);
  const b = await run('stream', size, total);
  console.log(`${String(size).padStart(10)}   ${a.toFixed(0).padStart(18)}   ${b.toFixed(0).padStart(21)}`);
}
rmSync(file);
