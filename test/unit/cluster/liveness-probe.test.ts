/**
 * The liveness probe and monitor (src/cluster/liveness-probe.ts, liveness-monitor.ts) against real
 * loopback sockets: a listener that goes away (what a SIGKILLed broker's port does) is reported
 * within the confirm interval, and so is a peer that closed the connection and whose address then
 * stops answering (a killed container); a listener that stays (a frozen process's kernel still
 * accepts), one never reached, one that comes back within the confirm interval, and an address
 * that times out with no close from the peer first are never reported. The monitor revokes exactly the probed registration's lease, and nothing
 * when the image already holds another incarnation.
 */
import { type Server, Socket, connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/logger.js';
import { LivenessProbe, type ProbeTarget } from '../../../src/cluster/liveness-probe.js';
import { LivenessMonitor, probeTargets } from '../../../src/cluster/liveness-monitor.js';
import type { EtcdStore } from '../../../src/cluster/etcd.js';
import { type BrokerImage, type ClusterImage, EMPTY_IMAGE } from '../../../src/cluster/metadata-image.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A listener that tracks its connections so that close() can drop them as a dying process does. */
class Listener {
  readonly conns = new Set<Socket>();
  server: Server | null = null;
  port = 0;

  async listen(port = 0): Promise<this> {
    const server = createServer((s) => {
      this.conns.add(s);
      s.on('close', () => this.conns.delete(s));
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this;
  }

  /** Stops listening and resets every connection: the port now refuses connects. */
  async die(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const c of this.conns) c.resetAndDestroy();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  }
}

const timings = { confirmMs: 50, retryMs: 50, connectTimeoutMs: 200, minLifetimeMs: 0 };
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function probe(port: number, onGone: (t: ProbeTarget, evidence: string) => void, connectFn?: (host: string, port: number) => Socket, overrides: Partial<typeof timings> = {}): LivenessProbe {
  const p = new LivenessProbe({ brokerId: 2, incarnation: '77', host: '127.0.0.1', port }, { onGone, ...timings, ...overrides, connect: connectFn });
  cleanups.push(() => p.stop());
  p.start();
  return p;
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(5);
  }
  return cond();
}

describe('LivenessProbe greeting (a SASL login on each new connection)', () => {
  it('greets every new connection; after a refusal, the next connections stay silent for greetBackoffMs, then it greets again', async () => {
    const l = await new Listener().listen();
    cleanups.push(() => l.die());
    const greeted: number[] = [];
    const refused: string[] = [];
    let refuse = true;
    const p = new LivenessProbe(
      { brokerId: 2, incarnation: '77', host: '127.0.0.1', port: l.port },
      {
        onGone: () => undefined,
        ...timings,
        greetBackoffMs: 300,
        greet: async (socket) => {
          greeted.push(performance.now());
          // The refusal closes the connection, as a broker ends it after a failed login.
          if (refuse) {
            socket.destroy();
            throw new Error('SASL_AUTHENTICATION_FAILED');
          }
        },
        onGreetRefused: (_t, err) => refused.push(err.message),
      },
    );
    cleanups.push(() => p.stop());
    p.start();
    expect(await until(() => refused.length === 1 && p.connected, 2000)).toBe(true);
    // Reconnected at once, silently (one greeting so far), and held.
    await sleep(100);
    expect(greeted).toHaveLength(1);
    refuse = false;
    // The back-off over, a new connection greets again.
    await sleep(250);
    for (const c of l.conns) c.destroy();
    expect(await until(() => greeted.length === 2, 2000)).toBe(true);
    expect(refused).toEqual(['SASL_AUTHENTICATION_FAILED']);
    expect(await until(() => p.connected, 2000)).toBe(true);
  });
});

describe('LivenessProbe', () => {
  it('reports a listener that went away (connection closed, then two refused connects)', async () => {
    const l = await new Listener().listen();
    cleanups.push(() => l.die());
    const gone: string[] = [];
    const p = probe(l.port, (t, evidence) => gone.push(`${t.incarnation}: ${evidence}`));
    expect(await until(() => p.connected, 2000)).toBe(true);
    const t0 = performance.now();
    await l.die();
    expect(await until(() => gone.length > 0, 2000)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(gone).toEqual([`77: 127.0.0.1:${l.port} refused 2 connects 50 ms apart`]);
  });

  it('reports a listener that went away right after the probe connected just as fast', async () => {
    const l = await new Listener().listen();
    cleanups.push(() => l.die());
    let gone = 0;
    const p = probe(l.port, () => gone++, undefined, { minLifetimeMs: 10_000, retryMs: 5000 });
    expect(await until(() => p.connected, 2000)).toBe(true);
    await l.die();
    expect(await until(() => gone > 0, 1000)).toBe(true);
  });

  it('backs off when connections keep closing right after they open (a proxy in front of a dead process)', async () => {
    let accepted = 0;
    const server = createServer((s) => {
      accepted++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise((r) => server.close(r)));
    let gone = 0;
    probe((server.address() as { port: number }).port, () => gone++, undefined, { minLifetimeMs: 1000, retryMs: 300 });
    await sleep(700);
    expect(gone).toBe(0);
    expect(accepted).toBeGreaterThanOrEqual(2);
    expect(accepted).toBeLessThanOrEqual(5);
  });

  it('never reports a listener that keeps accepting (a frozen process), even when it drops the connection', async () => {
    const l = await new Listener().listen();
    cleanups.push(() => l.die());
    let gone = 0;
    const p = probe(l.port, () => gone++);
    expect(await until(() => p.connected, 2000)).toBe(true);
    for (const c of l.conns) c.destroy(); // the idle timeout of a live broker
    await sleep(300);
    expect(gone).toBe(0);
    expect(p.connected).toBe(true);
  });

  it('never reports an address it never reached', async () => {
    const l = await new Listener().listen();
    const port = l.port;
    await l.die();
    let gone = 0;
    probe(port, () => gone++);
    await sleep(400);
    expect(gone).toBe(0);
  });

  it('does not report a listener that is back within the confirm interval', async () => {
    const l = await new Listener().listen();
    cleanups.push(() => l.die());
    let gone = 0;
    let refused = 0;
    const p = probe(l.port, () => gone++, (host, port) => {
      const s = connect({ host, port });
      s.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ECONNREFUSED') refused++;
      });
      return s;
    });
    expect(await until(() => p.connected, 2000)).toBe(true);
    const port = l.port;
    await l.die();
    expect(await until(() => refused === 1, 2000)).toBe(true);
    await l.listen(port);
    expect(await until(() => p.connected, 2000)).toBe(true);
    expect(gone).toBe(0);
  });

  it('does not report timeouts or unreachable hosts when the peer did not close the connection (a network cut)', async () => {
    const l = await new Listener().listen();
    cleanups.push(() => l.die());
    let gone = 0;
    let cut = false;
    let established: Socket | null = null;
    // After the cut, connects fail as a cut network makes them fail: unreachable, or no answer.
    let n = 0;
    const unreachable = (): Socket => {
      const s = new Socket();
      if (n++ % 2 === 0) setImmediate(() => s.destroy(Object.assign(new Error('connect EHOSTUNREACH'), { code: 'EHOSTUNREACH' })));
      return s; // never connects: the probe's connect timeout ends it
    };
    const p = probe(l.port, () => gone++, (host, port) => (cut ? unreachable() : (established = connect({ host, port }))));
    expect(await until(() => p.connected, 2000)).toBe(true);
    cut = true;
    // Our side gives the idle connection up (as TCP keepalive would across a cut): no FIN, no reset from the peer.
    established!.destroy(Object.assign(new Error('read ETIMEDOUT'), { code: 'ETIMEDOUT' }));
    await sleep(700);
    expect(n).toBeGreaterThan(2);
    expect(gone).toBe(0);
  });

  it('reports a peer that closed the connection and then vanished (a container killed with its network)', async () => {
    const l = await new Listener().listen();
    cleanups.push(() => l.die());
    const gone: string[] = [];
    let vanished = false;
    let n = 0;
    const noAnswer = (): Socket => {
      const s = new Socket();
      if (n++ % 2 === 1) setImmediate(() => s.destroy(Object.assign(new Error('connect EHOSTUNREACH'), { code: 'EHOSTUNREACH' })));
      return s; // else never connects: the probe's connect timeout ends it
    };
    const p = probe(l.port, (t, evidence) => gone.push(evidence), (host, port) => (vanished ? noAnswer() : connect({ host, port })));
    expect(await until(() => p.connected, 2000)).toBe(true);
    vanished = true;
    const t0 = performance.now();
    for (const c of l.conns) c.end(); // the dying process's kernel sends its FIN
    expect(await until(() => gone.length > 0, 2000)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2 * timings.connectTimeoutMs + timings.confirmMs + 300);
    expect(gone).toEqual([`127.0.0.1:${l.port} closed its connection, then EHOSTUNREACH on 2 connects 50 ms apart`]);
  });
});

const broker = (id: number, incarnation: string, port: number): BrokerImage => ({
  id, rack: null, incarnation, shuttingDown: false, modRevision: 1,
  listeners: [
    { name: 'CLIENT', host: '127.0.0.1', port: port + 1, securityProtocol: 'PLAINTEXT' },
    { name: 'INTERNAL', host: '127.0.0.1', port, securityProtocol: 'PLAINTEXT' },
  ],
});
const imageOf = (...brokers: BrokerImage[]): ClusterImage => ({ ...EMPTY_IMAGE, revision: 5, brokers: new Map(brokers.map((b) => [b.id, b])) });

describe('LivenessMonitor', () => {
  it('probes every other broker at the named listener', () => {
    const image = imageOf(broker(1, '11', 9001), broker(2, '22', 9002), broker(3, '33', 9003));
    expect(probeTargets(image, 1, 'INTERNAL')).toEqual([
      { brokerId: 2, incarnation: '22', host: '127.0.0.1', port: 9002 },
      { brokerId: 3, incarnation: '33', host: '127.0.0.1', port: 9003 },
    ]);
    expect(probeTargets(image, 1, 'NONE').map((t) => t.port)).toEqual([9003, 9004]);
  });

  it('revokes the lease of the probed registration only, and none once the image holds another incarnation', async () => {
    const two = await new Listener().listen();
    const three = await new Listener().listen();
    cleanups.push(() => two.die(), () => three.die());
    const revoked: string[] = [];
    const store = { revokeLease: async (id: string) => void revoked.push(id) } as unknown as EtcdStore;
    let image = imageOf(broker(1, '11', 1), broker(2, '22', two.port), broker(3, '33', three.port));
    const m = new LivenessMonitor({ nodeId: 1, store, listenerName: 'INTERNAL', log: silentLogger(), image: () => image, timings });
    cleanups.push(() => m.close());
    m.update(image);
    expect(m.probed()).toEqual([2, 3]);
    await until(() => two.conns.size === 1 && three.conns.size === 1, 2000);

    await two.die();
    expect(await until(() => revoked.length > 0, 2000)).toBe(true);
    expect(revoked).toEqual(['22']);

    // Broker 3 restarted and registered again before its old probe concluded: the old lease is
    // not revoked (it is gone already), and the new registration is probed instead.
    image = imageOf(broker(1, '11', 1), broker(3, '34', three.port));
    await three.die();
    await sleep(300);
    expect(revoked).toEqual(['22']);
    m.update(image);
    expect(m.probed()).toEqual([3]);
  });
});
