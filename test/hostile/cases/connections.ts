/**
 * Connection-level attacks on the shared broker: frames that lie about their size or end too
 * soon, bytes that are not Kafka at all, clients that never read their answers, pipelining,
 * slow-loris trickles of huge frames, and more connections than the broker accepts.
 */
import { LIMITS } from '../harness/limits.js';
import type { Socket } from 'node:net';
import { it } from 'vitest';
import { newDescribeConfigsRequestResource } from '../../../protocol/generated/index.js';
import { mib, openFilesLimit, type Session, sleep } from '../harness.js';
import { closedWithin, frame, headerV1, headerV2, int16, int32, openSocket, RawClient, request, roundTrip, str, uvarint, writePaced } from '../frames.js';
import { noise } from '../batches.js';
import { answeredOrClosed, destroyAll, expectHealthy } from './common.js';

/** Registers framing and slow or never-reading client cases (shared broker). */
export function connectionAttacks(session: () => Session): void {
  it('a zero-size frame closes the connection', async () => {
    const s = session();
    const r = await s.attack('zero-size frame', async ({ broker }) => {
      const problems: string[] = [];
      for (const tail of [Buffer.alloc(0), request(18, 0, {}, 2)]) {
        const c = await openSocket(broker.host, broker.port).catch(() => null);
        if (c === null) return [...problems, 'the broker refuses connections after a zero-size frame'];
        c.write(Buffer.concat([int32(0), tail]));
        if (!(await closedWithin(c, 3000))) problems.push('connection left open after a zero-size frame');
        c.destroy();
      }
      await sleep(200);
      return problems;
    });
    expectHealthy(r);
  });

  it('truncated and garbage frames are closed or answered, never fatal', async () => {
    const s = session();
    const r = await s.attack('truncated and garbage frames', async ({ broker }) => {
      const { host, port } = broker;
      const frames: Buffer[] = [
        frame(Buffer.from([0])), // 1-byte header
        frame(Buffer.from([0, 18, 0])), // 3 bytes of header
        frame(int16(18)), // api key only
        frame(Buffer.concat([int16(18), int16(0), int32(1)])), // no client id length
        frame(Buffer.concat([int16(18), int16(0), int32(1), int16(0x7fff), Buffer.from('x')])), // client id claims 32 KiB
        frame(Buffer.concat([int16(18), int16(0), int32(1), int16(-2)])), // client id length -2
        frame(Buffer.concat([int16(0x7fff), int16(0), int32(1), str('x')])), // unknown api key
        frame(Buffer.concat([int16(-1), int16(-1), int32(-1), str('x')])),
        frame(Buffer.concat([int16(3), int16(-1), int32(1), str('x')])), // version -1
        frame(Buffer.concat([int16(18), int16(0x7fff), int32(1), str('x')])), // ApiVersions v32767: answered as v0
        frame(Buffer.concat([headerV1(3, 1), int32(0x7fffffff)])), // Metadata: 2^31-1 topics in 4 bytes
        frame(Buffer.concat([headerV1(3, 1), int32(-2)])), // Metadata: topic count -2
        frame(Buffer.concat([headerV2(3, 9), uvarint(0xffffffff)])), // compact array length 2^32-2
        frame(Buffer.concat([headerV2(3, 9), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])])), // over-long varint
        frame(Buffer.concat([headerV2(3, 9), uvarint(2), uvarint(0xfffffff0), Buffer.from('abc')])), // compact string length overflow
        frame(Buffer.concat([headerV2(3, 9), uvarint(2), uvarint(4), Buffer.from('abc')])), // string shorter than its length
        frame(Buffer.concat([headerV1(18, 3), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])])), // flexible header tag count 2^32-1
        frame(Buffer.concat([headerV1(18, 3), uvarint(1), uvarint(0), uvarint(0x7fffffff)])), // a tag claiming 2 GiB
        frame(Buffer.concat([headerV1(18, 3), uvarint(3), uvarint(5), uvarint(0), uvarint(5), uvarint(0), uvarint(1), uvarint(0)])), // duplicate/unsorted tags
        Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), // a TLS ClientHello
        Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      ];
      // Random bodies behind real headers of every API the broker serves, at its max version.
      const versions = (await roundTrip(host, port, 18, 0, {}))!.apiKeys as Array<{ apiKey: number; maxVersion: number }>;
      let seed = 7;
      for (const v of versions) for (const size of [1, 7, 64, 700]) frames.push(frame(Buffer.concat([headerV2(v.apiKey, v.maxVersion), noise(size, seed++)])));
      const problems = await answeredOrClosed(host, port, frames);
      // A frame cut short, then the client goes away; and one split into 1-byte writes.
      const cut = await openSocket(host, port);
      cut.write(request(3, 1, { topics: null }).subarray(0, 9));
      const drip = await openSocket(host, port);
      for (const b of request(18, 3, { clientSoftwareName: 'drip', clientSoftwareVersion: '1' })) {
        drip.write(Buffer.from([b]));
        await sleep(1);
      }
      await sleep(300);
      cut.destroy();
      drip.destroy();
      return problems;
    });
    expectHealthy(r);
  });

  it('a client that never reads its 60,000 responses', async () => {
    const s = session();
    const r = await s.attack('never-reading client, 60,000 requests', async ({ broker }) => {
      const sock = await openSocket(broker.host, broker.port);
      sock.pause(); // never read: the broker's responses pile up on its side
      // DescribeConfigs of the broker with synonyms and documentation: a 35-byte request whose
      // response is ~10 KiB, so 60,000 unread responses would be ~600 MB.
      const one = request(32, 3, { resources: [newDescribeConfigsRequestResource({ resourceType: 4, resourceName: '1', configurationKeys: null })], includeSynonyms: true, includeDocumentation: true });
      const batch = Buffer.concat(Array.from({ length: 1000 }, () => one));
      const deadline = Date.now() + 12_000;
      let sent = 0;
      for (let i = 0; i < 60 && (await writePaced(sock, batch, deadline)); i++) sent += 1000;
      await sleep(1500);
      sock.destroy();
      console.log(`  never-reading client: ${sent} requests written before the broker stopped reading`);
    });
    expectHealthy(r);
  });

  it('a reading client pipelining 3,000 small requests does not starve other connections', async () => {
    const s = session();
    // 35-byte requests whose answers take ~0.25 ms each (the broker's configs with synonyms and
    // documentation): a client that reads everything, pipelining 3,000 of them (100 KB).
    const one = request(32, 3, { resources: [newDescribeConfigsRequestResource({ resourceType: 4, resourceName: '1', configurationKeys: null })], includeSynonyms: true, includeDocumentation: true });
    const burst = Buffer.concat(Array.from({ length: 3000 }, (_, i) => Buffer.concat([one.subarray(0, 8), int32(i + 1), one.subarray(12)])));
    const r = await s.attack('3,000 pipelined DescribeConfigs from a reading client', async ({ broker }) => {
      const c = await RawClient.connect(broker.host, broker.port);
      c.write(burst);
      for (let i = 0; i < 3000; i++) if ((await c.readFrame(20_000)) === null) return [`the broker closed the connection after ${i} answers`];
      c.close();
      return [];
    });
    expectHealthy(r);
  });

  it('many connections trickling a huge frame', async () => {
    const s = session();
    const r = await s.attack('64 connections trickling 100 MB frames', async ({ broker }) => {
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const sockets = await Promise.all(Array.from({ length: 64 }, () => openSocket(broker.host, broker.port)));
      const deadline = Date.now() + 8_000;
      let written = 0;
      await Promise.all(
        sockets.map(async (sock) => {
          // Just under socket.request.max.bytes (100 MiB default): a legal size prefix.
          if (!(await writePaced(sock, Buffer.concat([int32(100 * 1000 * 1000), headerV1(0, 7)]), deadline))) return;
          for (let i = 0; i < 128 && Date.now() < deadline; i++) {
            if (!(await writePaced(sock, chunk, deadline))) return;
            written += chunk.length;
            await sleep(5);
          }
        }),
      );
      await sleep(1000);
      destroyAll(sockets);
      console.log(`  trickle: ${mib(written)} MiB written in total`);
    });
    expectHealthy(r);
  });
}

/** Runs last on the shared broker: it drives the broker to its connection limit. */
export function connectionCapAttack(session: () => Session): void {
  it('10,000+ connections (connection cap)', async () => {
    const s = session();
    // Both ends need a descriptor per connection: a machine with a low open-files limit gets as
    // many as it allows (said in the log), which still drives the broker to its own limit.
    const target = Math.min(10_200, openFilesLimit() - 500);
    if (target < 10_200) console.log(`  open-files limit ${openFilesLimit()}: opening ${target} connections, not 10,200`);
    const r = await s.attack(`${target} connections`, async ({ broker }) => {
      const sockets: Socket[] = [];
      let refused = 0;
      for (let i = 0; i < target; i += 200) {
        const batch = await Promise.allSettled(Array.from({ length: 200 }, () => openSocket(broker.host, broker.port)));
        for (const b of batch) b.status === 'fulfilled' ? sockets.push(b.value) : refused++;
      }
      await sleep(1500);
      const open = sockets.filter((x) => !x.destroyed && !x.readableEnded).length;
      destroyAll(sockets);
      console.log(`  connections: ${sockets.length} accepted by the kernel, ${open} still open after 1.5 s, ${refused} refused`);
      await sleep(500);
      // 10,200 connections opened in bursts of 200 and then closed at once make the broker run
      // thousands of accept and close callbacks back to back; the canary on its own connection
      // waits behind them (119-125 ms seen in 2 of 5 runs, 40-90 ms otherwise). The bound here
      // is 200 ms: still far below any client timeout, and it catches a real stall.
    }, { canaryMs: Math.max(LIMITS.canaryMs, 200) });
    expectHealthy(r);
  });
}
