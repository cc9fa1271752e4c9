/**
 * The authentication-failure audit log: one structured warn line per failed authentication
 * ({event: 'authentication failed', listener, remote, mechanism, user, reason}), never a password,
 * token or SASL bytes. Rate limited (runnel.sasl.audit.log.max.per.second): a client hammering
 * wrong passwords must not flood the log; lines over the limit are counted and the count is
 * reported with the next line that gets through (`suppressed`).
 */
import type { Logger } from '../../logger.js';
import type { AuthenticationMetrics } from '../authentication-metrics.js';
import { LogRateLimit } from '../log-rate-limit.js';

export interface AuthFailure {
  listener: string;
  remote: string;
  mechanism: string | null;
  /** The user the client claimed (names are not secrets), or null. */
  user: string | null;
  reason: string;
}

/** Longest user name put in a log line (it is the client's string). */
const LOGGED_USER_CHARS = 200;

export class AuthAudit {
  private readonly limit: LogRateLimit;
  /** Every failure, logged or not (for tests and metrics). */
  failures = 0;
  successes = 0;

  constructor(
    private readonly log: Logger,
    maxPerSecond: number,
    now: () => number = Date.now,
    private readonly metrics: AuthenticationMetrics | null = null,
  ) {
    this.limit = new LogRateLimit(maxPerSecond, now);
  }

  /** A successful (re-)authentication: debug only, never rate limited away from the count. */
  succeeded(s: { listener: string; remote: string; mechanism: string | null; user: string; reauthentication: boolean }): void {
    this.successes++;
    this.metrics?.authentication(s.listener, true, s.reauthentication);
    if (this.log.isLevelEnabled('debug')) this.log.debug({ event: 'authenticated', ...s, user: s.user.slice(0, LOGGED_USER_CHARS) }, 'authenticated');
  }

  failed(f: AuthFailure): void {
    this.failures++;
    this.metrics?.authentication(f.listener, false);
    const suppressed = this.limit.admit();
    if (suppressed === null) return;
    this.log.warn(
      { event: 'authentication failed', listener: f.listener, remote: f.remote, mechanism: f.mechanism, user: f.user?.slice(0, LOGGED_USER_CHARS) ?? null, reason: f.reason, ...(suppressed > 0 ? { suppressed } : {}) },
      'authentication failed',
    );
  }
}
