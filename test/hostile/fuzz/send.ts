/**
 * How the fuzzer sends mutants: on one fresh connection, optionally in pieces, then waiting until
 * the broker answers every frame, closes the connection, or the wait ends.
 */
import { connect, type Socket } from 'node:net';

/**
 * Sends `frames` on one connection and waits until answered, closed or `waitMs`. With `cuts`, the
 * bytes go out in pieces cut at those offsets, one per event-loop turn, so frame boundaries land
 * inside and at the end of TCP reads (where a frame reader's edge cases live).
 */
export function sendOnOneConnection(host: string, port: number, frames: Buffer[], waitMs: number, cuts: number[] = []): Promise<'answered' | 'closed' | 'waiting' | 'refused'> {
  return new Promise((resolve) => {
    let got = 0;
    let pending = Buffer.alloc(0);
    let done = false;
    const s: Socket = connect({ host, port });
    const finish = (how: 'answered' | 'closed' | 'waiting' | 'refused') => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(how);
    };
    const timer = setTimeout(() => finish('waiting'), waitMs);
    s.setNoDelay(true);
    s.on('connect', () => {
      const all = Buffer.concat(frames);
      let from = 0;
      const next = () => {
        if (done) return;
        const to = cuts.find((c) => c > from && c < all.length) ?? all.length;
        s.write(all.subarray(from, to));
        from = to;
        if (from < all.length) setTimeout(next, 1);
      };
      next();
    });
    s.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        pending = pending.subarray(4 + pending.readInt32BE(0));
        got++;
      }
      if (got >= frames.length) finish('answered');
    });
    s.on('error', (e: NodeJS.ErrnoException) => finish(e.code === 'ECONNREFUSED' ? 'refused' : 'closed'));
    s.on('close', () => finish('closed'));
  });
}
