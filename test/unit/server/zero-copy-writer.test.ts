/**
 * ResponseWriter's zero-copy sends (src/server/zero-copy.ts) on a real loopback socket and a real
 * file: the bytes Node still has queued on the socket go out before the sendfile part (never
 * interleaved), buffers and file ranges keep their order, unsentBytes() counts what is left, and
 * slices are released once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { tempDir } from '../../helpers/broker.js';
import { ResponseWriter } from '../../../src/server/response-writer.js';
import { plainSocketFd, sendfileBinding } from '../../../src/server/zero-copy.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanups.splice(0)) f();
});

async function pair(): Promise<{ server: Socket; client: Socket }> {
  const srv: Server = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  const accepted = new Promise<Socket>((r) => srv.once('connection', r));
  const client = connect({ host: '127.0.0.1', port });
  client.pause();
  const server = await accepted;
  cleanups.push(() => {
    client.destroy();
    server.destroy();
    srv.close();
  });
  return { server, client };
}

function readAll(client: Socket, bytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  return new Promise((resolve, reject) => {
    client.on('data', (d: Buffer) => {
      parts.push(d);
      got += d.length;
      if (got >= bytes) resolve(Buffer.concat(parts));
    });
    client.on('close', () => reject(new Error(`closed after ${got} bytes`)));
    client.resume();
  });
}

describe('zero-copy ResponseWriter', () => {
  const binding = sendfileBinding().binding;

  it.runIf(binding !== null)('flushes what Node queued on the socket before sendfile, then sends buffers and file ranges in order', async () => {
    const dir = tempDir('zc-writer');
    const file = join(dir, 'seg.log');
    const content = randomBytes(6 << 20);
    writeFileSync(file, content);
    const fd = openSync(file, 'r');
    cleanups.push(() => {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    });
    const { server, client } = await pair();
    // 12 MB written by Node while the client does not read: the kernel takes a few MB, Node
    // keeps the rest queued (writableLength > 0) until the client reads.
    const earlier = randomBytes(12 << 20);
    server.write(earlier);
    expect(server.writableLength).toBeGreaterThan(0);
    let released = 0;
    let failed: Error | null = null;
    const writer = new ResponseWriter(server, (e) => (failed = e), () => undefined, { binding: binding!, fd: plainSocketFd(server) });
    const head = Buffer.from('HEAD-of-response');
    const mid = Buffer.from('between-slices');
    const tail = Buffer.from('TAIL');
    writer.send([head, { fd, position: 100, length: 3 << 20, release: () => released++ }, mid, { fd, position: 5 << 20, length: 1 << 20, release: () => released++ }, tail]);
    expect(writer.unsentBytes()).toBeGreaterThan(4 << 20);
    const expected = Buffer.concat([earlier, head, content.subarray(100, 100 + (3 << 20)), mid, content.subarray(5 << 20, 6 << 20), tail]);
    const got = await readAll(client, expected.length);
    expect(got.length).toBe(expected.length);
    expect(got.equals(expected)).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(failed).toBeNull();
    expect(released).toBe(2);
    expect(writer.idle()).toBe(true);
    expect(writer.unsentBytes()).toBe(0);
  }, 30_000);

  it.runIf(binding !== null)('a file shorter than its range fails the response (the size was promised)', async () => {
    const dir = tempDir('zc-writer');
    const file = join(dir, 'seg.log');
    writeFileSync(file, randomBytes(1 << 20));
    const fd = openSync(file, 'r');
    cleanups.push(() => {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    });
    const { server, client } = await pair();
    let released = 0;
    const failed = new Promise<Error>((resolve) => {
      const writer = new ResponseWriter(server, resolve, () => undefined, { binding: binding!, fd: plainSocketFd(server) });
      writer.send([Buffer.from('x'), { fd, position: 0, length: 2 << 20, release: () => released++ }]);
    });
    client.resume();
    expect((await failed).message).toMatch(/ended inside a fetched range/);
    expect(released).toBe(1);
  }, 30_000);
});
