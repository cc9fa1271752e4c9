/**
 * src/cluster/host-breakers.ts: an etcd endpoint failing three times in a row is skipped for the
 * open time while another endpoint is usable, and never refused when every endpoint's breaker is
 * open (a broker's lease keep-alive must still be sent somewhere).
 */
import { describe, expect, it } from 'vitest';
import { EndpointSkippedError, HostBreakers } from '../../../src/cluster/host-breakers.js';

class Recoverable extends Error {}

function setup() {
  let now = 1000;
  const breakers = new HostBreakers({ failures: 3, openMs: 1000, isFailure: (e) => e instanceof Recoverable, now: () => now });
  const a = breakers.policyFor('a:2379');
  const b = breakers.policyFor('b:2379');
  const fail = (p: typeof a) => p.execute(() => Promise.reject(new Recoverable('deadline exceeded'))).catch((e: Error) => e);
  const ok = (p: typeof a) => p.execute(() => 'answered').catch((e: Error) => e);
  return { breakers, a, b, fail, ok, advance: (ms: number) => (now += ms) };
}

describe('HostBreakers (etcd endpoint failover)', () => {
  it('skips an endpoint after three consecutive failures while another is usable, and tries it again after the open time', async () => {
    const { breakers, a, b, fail, ok, advance } = setup();
    for (let i = 0; i < 3; i++) expect(await fail(a)).toBeInstanceOf(Recoverable);
    expect(breakers.isOpen('a:2379')).toBe(true);
    expect(await ok(a)).toBeInstanceOf(EndpointSkippedError);
    expect(await ok(b)).toBe('answered');
    advance(1000);
    // Half-open: one more failure skips it again; a success closes it.
    expect(await fail(a)).toBeInstanceOf(Recoverable);
    expect(await ok(a)).toBeInstanceOf(EndpointSkippedError);
    advance(1000);
    expect(await ok(a)).toBe('answered');
    expect(breakers.isOpen('a:2379')).toBe(false);
  });

  it('a success in between resets the count; errors that are not the endpoint failing do not count', async () => {
    const { breakers, a, fail, ok } = setup();
    await fail(a);
    await fail(a);
    await ok(a);
    await fail(a);
    await fail(a);
    expect(breakers.isOpen('a:2379')).toBe(false);
    for (let i = 0; i < 5; i++) await a.execute(() => Promise.reject(new Error('requested lease not found'))).catch(() => undefined);
    expect(breakers.isOpen('a:2379')).toBe(false);
  });

  it('with every endpoint open, calls still go through (a keep-alive is never refused without being sent)', async () => {
    const { breakers, a, b, fail, ok } = setup();
    for (let i = 0; i < 3; i++) await fail(a);
    for (let i = 0; i < 3; i++) await fail(b);
    expect(breakers.isOpen('a:2379') && breakers.isOpen('b:2379')).toBe(true);
    expect(await ok(b)).toBe('answered');
    // b answered: it is usable again, so a (still open) is skipped for it.
    expect(await ok(a)).toBeInstanceOf(EndpointSkippedError);
  });
});
