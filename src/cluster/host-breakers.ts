/**
 * Circuit breakers per etcd endpoint, for an etcd client given several (etcd.ts hands them to
 * etcd3 as its per-host fault-handling policy): an endpoint whose calls failed `failures` times in
 * a row (connection refused, deadline exceeded, stream cut) is skipped for `openMs`, so calls go
 * to the endpoints that answer; after that the next call tries it again, and one more failure
 * skips it again.
 *
 * What this adds to a plain breaker (cockatiel's, which etcd3 used before): an endpoint is only
 * skipped while another one is not. When every endpoint's breaker is open, calls go through
 * anyway (to the first host etcd3 tries), because a breaker that refuses calls without trying
 * turns a few slow answers into a second in which nothing — lease keep-alives included — reaches
 * etcd, and a broker that misses its keep-alive deadline fences itself (registration.ts) though
 * etcd is fine. With a single endpoint etcd.ts uses no breaker at all: there is nowhere else to go.
 *
 * The policy has etcd3's (cockatiel's) `execute` shape; etcd3 treats an error thrown without
 * calling `fn` as "this host is blocked, try the next one".
 */

/** The shape etcd3 expects of a host's fault-handling policy (cockatiel's IPolicy.execute). */
export interface HostPolicy {
  execute<T>(fn: (context: { signal: AbortSignal }) => T | Promise<T>): Promise<T>;
}

export interface HostBreakersOptions {
  /** Consecutive failed calls that open an endpoint's breaker. */
  failures: number;
  /** How long an open breaker skips the endpoint. */
  openMs: number;
  /** Which errors count as the endpoint failing (etcd3's isRecoverableError). */
  isFailure: (err: unknown) => boolean;
  /** Monotonic milliseconds (tests pass their own). */
  now?: () => number;
}

/** Thrown without calling through: the endpoint is skipped for now (etcd3 then tries the next one). */
export class EndpointSkippedError extends Error {
  constructor(host: string, ms: number) {
    super(`etcd endpoint ${host} is skipped for ${ms} ms after consecutive failures`);
    this.name = 'EndpointSkippedError';
  }
}

interface HostState {
  failures: number;
  openUntil: number;
}

const NO_SIGNAL = new AbortController().signal;

export class HostBreakers {
  private readonly hosts = new Map<string, HostState>();
  private readonly now: () => number;

  constructor(private readonly options: HostBreakersOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** The policy of one endpoint (etcd3 asks once per host). */
  policyFor(host: string): HostPolicy {
    const state: HostState = { failures: 0, openUntil: 0 };
    this.hosts.set(host, state);
    return {
      execute: async <T>(fn: (context: { signal: AbortSignal }) => T | Promise<T>): Promise<T> => {
        const now = this.now();
        if (now < state.openUntil && this.anotherUsable(state, now)) throw new EndpointSkippedError(host, Math.ceil(state.openUntil - now));
        try {
          const result = await fn({ signal: NO_SIGNAL });
          state.failures = 0;
          state.openUntil = 0;
          return result;
        } catch (err) {
          if (this.options.isFailure(err)) this.failed(state);
          throw err;
        }
      },
    };
  }

  /** Whether the endpoint is being skipped now (tests, logs). */
  isOpen(host: string): boolean {
    const s = this.hosts.get(host);
    return s !== undefined && this.now() < s.openUntil;
  }

  private failed(state: HostState): void {
    if (++state.failures < this.options.failures) return;
    state.openUntil = this.now() + this.options.openMs;
    // Half-open once the time is up: one more failure skips it again.
    state.failures = this.options.failures - 1;
  }

  private anotherUsable(except: HostState, now: number): boolean {
    for (const s of this.hosts.values()) if (s !== except && now >= s.openUntil) return true;
    return false;
  }
}
