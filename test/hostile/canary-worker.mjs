/**
 * The ApiVersions canary, run in a worker thread so that its timing does not depend on the test's
 * own event loop (which may be busy building or writing attack frames).
 *
 * One connection to the broker; an ApiVersions v0 request every `intervalMs`, the next one only
 * after the previous answer. Results go to a SharedArrayBuffer the test reads at any moment:
 *   f64[0] worst latency (ms) since the last reset (the main thread zeroes it)
 *   f64[1] send time of the request in flight (performance.timeOrigin-based ms), 0 when none
 *   f64[2] answers received
 *   f64[3] connection failures (refused, closed by the broker, answer with a bad correlation id)
 *   f64[4] time of the last answer
 * A request still in flight counts as a latency of `now - sentAt`, so a stalled broker shows up
 * even before (or without) an answer. Plain JS: worker threads do not go through vitest's
 * TypeScript transform.
 */
import { connect } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

const { host, port, intervalMs, shared } = workerData;
const stats = new Float64Array(shared);
const now = () => performance.timeOrigin + performance.now();
let stopping = false;
parentPort.on('message', (m) => {
  if (m === 'stop') {
    stopping = true;
    socket?.destroy();
    process.exit(0);
  }
});

function request(correlationId) {
  const clientId = Buffer.from('canary');
  const b = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
  b.writeInt32BE(b.length - 4, 0);
  b.writeInt16BE(18, 4); // ApiVersions
  b.writeInt16BE(0, 6); // v0: no body, request header v1
  b.writeInt32BE(correlationId, 8);
  b.writeInt16BE(clientId.length, 12);
  clientId.copy(b, 14);
  return b;
}

let socket = null;
let correlation = 0;
let buf = Buffer.alloc(0);

function connectOnce() {
  buf = Buffer.alloc(0);
  socket = connect({ host, port });
  socket.setNoDelay(true);
  socket.on('connect', () => send());
  socket.on('data', (d) => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      const size = buf.readInt32BE(0);
      const corr = buf.readInt32BE(4);
      buf = buf.subarray(4 + size);
      if (corr !== correlation) {
        stats[3]++;
        socket.destroy();
        return;
      }
      const t = now();
      const latency = t - stats[1];
      if (latency > stats[0]) stats[0] = latency;
      stats[1] = 0;
      stats[2]++;
      stats[4] = t;
      setTimeout(send, intervalMs);
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    if (stopping) return;
    stats[3]++;
    // Keep the in-flight time: a broker that cannot be reached keeps counting as a stall.
    if (stats[1] === 0) stats[1] = now();
    setTimeout(connectOnce, 20);
  });
}

function send() {
  if (stopping || socket.destroyed) return;
  correlation = (correlation + 1) & 0x7fffffff;
  if (stats[1] === 0) stats[1] = now();
  socket.write(request(correlation));
}

connectOnce();
