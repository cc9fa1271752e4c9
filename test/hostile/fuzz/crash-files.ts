/**
 * Crash files and their replay. A crash file is "RNFZ" + entries of [uint32 connection, uint32
 * length, bytes], with a .json beside it describing each mutant (its corpus frame and mutations),
 * in test/.work/. Replaying sends them to a fresh broker, one mutant per connection, naming the
 * first one the broker does not survive (and any that make the canary wait), then the connections
 * as sent.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/broker.js';
import { HostileBroker, LIMITS, Monitor, mib, sleep } from '../harness.js';
import type { Mutant } from './mutators.js';
import { sendOnOneConnection } from './send.js';

/** Saves what `sent` sent as test/.work/<name>.bin with its .json description; returns the .bin path. */
export function saveMutants(name: string, sent: Array<{ slot: number; mutants: Mutant[] }>, failure: string): string {
  const dir = join(REPO_ROOT, 'test', '.work');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.bin`);
  const parts: Buffer[] = [Buffer.from('RNFZ')];
  const described: Array<{ connection: number; slot: number; source: string; mutations: string }> = [];
  sent.forEach((conn, c) =>
    conn.mutants.forEach((m) => {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(c, 0);
      head.writeUInt32BE(m.bytes.length, 4);
      parts.push(head, m.bytes);
      described.push({ connection: c, slot: conn.slot, source: m.source, mutations: m.description });
    }),
  );
  writeFileSync(file, Buffer.concat(parts));
  writeFileSync(file.replace(/\.bin$/, '.json'), JSON.stringify({ failure, mutants: described }, null, 1));
  return file;
}

export function readCrash(file: string): Array<{ connection: number; bytes: Buffer }> {
  const b = readFileSync(file);
  if (b.subarray(0, 4).toString() !== 'RNFZ') throw new Error(`${file} is not a fuzz crash file`);
  const out: Array<{ connection: number; bytes: Buffer }> = [];
  for (let at = 4; at + 8 <= b.length; ) {
    const len = b.readUInt32BE(at + 4);
    out.push({ connection: b.readUInt32BE(at), bytes: b.subarray(at + 8, at + 8 + len) });
    at += 8 + len;
  }
  return out;
}

/**
 * Replays a crash file against a fresh broker: first each mutant alone on its own connection,
 * naming the first one the broker does not survive (and any that make the canary wait); then, if
 * none does alone, the connections as they were sent, 16 at a time (a crash that needs several
 * requests together).
 */
export async function replay(file: string, log: (l: string) => void = console.log): Promise<string | null> {
  const entries = readCrash(file);
  log(`[fuzz] replaying ${entries.length} mutants from ${file}`);
  let broker = await HostileBroker.start();
  let monitor = new Monitor(broker);
  try {
    await monitor.answersAgain(5000);
    for (const [i, e] of entries.entries()) {
      monitor.reset();
      await sendOnOneConnection(broker.host, broker.port, [e.bytes], 1000);
      await sleep(50);
      const waited = monitor.worstMs();
      if (waited > LIMITS.canaryMs) log(`[fuzz] mutant #${i} (connection ${e.connection}) made the canary wait ${Math.round(waited)} ms\n  bytes: ${e.bytes.toString('hex')}`);
      if (!broker.alive()) {
        const why = broker.describeExit();
        log(`[fuzz] mutant #${i} (connection ${e.connection}) alone kills the broker: ${why}\n  bytes: ${e.bytes.toString('hex')}`);
        return `mutant #${i}: ${why}`;
      }
    }
    log('[fuzz] no single mutant kills the broker; replaying the connections as sent');
    await monitor.stop();
    await broker.stop();
    broker = await HostileBroker.start();
    monitor = new Monitor(broker);
    const conns = new Map<number, Buffer[]>();
    for (const e of entries) conns.set(e.connection, [...(conns.get(e.connection) ?? []), e.bytes]);
    const all = [...conns.values()];
    for (let i = 0; i < all.length; i += 16) {
      monitor.reset();
      await Promise.all(all.slice(i, i + 16).map((frames) => sendOnOneConnection(broker.host, broker.port, frames, 500)));
      await sleep(100);
      const waited = monitor.worstMs();
      if (waited > LIMITS.canaryMs) log(`[fuzz] connections ${i}-${i + 15}: the canary waited ${Math.round(waited)} ms`);
      if (!broker.alive()) {
        const why = broker.describeExit();
        log(`[fuzz] connections ${i}-${i + 15} kill the broker: ${why}`);
        return `connections ${i}-${i + 15}: ${why}`;
      }
    }
    log(`[fuzz] the broker survived the replay (peak RSS ${mib(monitor.peakRss())} MiB); the failure may need the run's earlier state`);
    return null;
  } finally {
    await monitor.stop();
    await broker.stop();
  }
}
