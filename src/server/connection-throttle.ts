/**
 * One connection's side of the client quotas (quotas/client-quotas.ts; its rules are in the
 * header of connection.ts): records requests against the quotas that apply to the connection's
 * principal and client id, as Kafka's KafkaApis does — Produce bytes are the request's size, Fetch
 * bytes the response's, acks=0 Produce and replica fetches leave the request quota alone,
 * ApiVersions / SASL / WriteTxnMarkers are exempt from it — sets throttle_time_ms in the response,
 * and mutes the connection for that long (KIP-219).
 *
 * Produce bytes are recorded when the request STARTS (Kafka: after the append): Produce requests
 * are pipelined, and a client that sends many at once would otherwise have them all started before
 * the first one's throttle could mute the connection. Recorded at the start, the first request over
 * the quota mutes the connection at once and the rest wait.
 *
 * Nothing here runs while no user / client-id quota exists (`active` is one integer compare).
 */
import type { ApiCodec } from '../../protocol/codec-support.js';
import type { RequestHeader } from '../../protocol/headers.js';
import { QuotaType, type ClientQuotas, type QuotaClient } from '../quotas/client-quotas.js';

const PRODUCE_KEY = 0;
const FETCH_KEY = 1;
/** APIs Kafka leaves out of the request quota: ApiVersions, SASL, and the cluster action WriteTxnMarkers. */
const REQUEST_QUOTA_EXEMPT = new Set([17, 18, 27, 36]);

export class ConnectionThrottle {
  /** Which quotas apply (re-resolved when they, the client id or the principal change). */
  private client: QuotaClient | null = null;
  /** performance.now() until which the connection is muted (0: not muted). */
  private until = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly quotas: ClientQuotas | undefined,
    /** Called (from a timer) when the mute is over. */
    private readonly unmuted: () => void,
  ) {}

  /** Some user / client-id quota exists (else nothing is measured or recorded). */
  get active(): boolean {
    return this.quotas !== undefined && this.quotas.active;
  }

  /** A mute was set and may not be over yet (no clock read). */
  get mutePending(): boolean {
    return this.until !== 0;
  }

  /** True while muted; clears the mute once its time has passed. */
  muted(): boolean {
    if (this.until === 0) return false;
    if (performance.now() < this.until) return true;
    this.until = 0;
    return false;
  }

  /** A Produce request of `frameBytes` starts: records its bytes; returns the throttle time (ms, 0: none), already muting. */
  produceStarted(user: string, clientId: string | null, frameBytes: number): number {
    const quotas = this.quotas!;
    const produce = (this.client = quotas.client(this.client, user, clientId)).sensors[QuotaType.Produce];
    if (produce === null) return 0;
    const ms = quotas.record(produce, frameBytes);
    if (ms > 0) this.mute(ms);
    return ms;
  }

  /**
   * Records a finished request (its Produce bytes were recorded at the start, giving
   * `startThrottleMs`); sets throttle_time_ms in `res` and mutes when a quota is exceeded.
   */
  record(user: string, clientId: string | null, header: RequestHeader, codec: ApiCodec, request: object, startThrottleMs: number, handlerMs: number, res: object | null): void {
    const quotas = this.quotas!;
    const key = header.apiKey;
    if (key === FETCH_KEY && (request as { replicaId?: number }).replicaId! >= 0) return; // replication: never client-throttled
    const sensors = (this.client = quotas.client(this.client, user, clientId)).sensors;
    const requestSensor = sensors[QuotaType.Request];
    let bandwidthMs = 0;
    let requestMs = 0;
    // Request time is a percentage of one thread: ms × 100 / 1000 per second of window.
    if (key === PRODUCE_KEY) {
      bandwidthMs = startThrottleMs;
      if (requestSensor && (request as { acks?: number }).acks !== 0) requestMs = quotas.record(requestSensor, handlerMs / 10);
    } else {
      const fetch = key === FETCH_KEY ? sensors[QuotaType.Fetch] : null;
      if (fetch && res !== null) bandwidthMs = quotas.record(fetch, codec.sizeResponse(header.apiVersion, res));
      if (requestSensor && !REQUEST_QUOTA_EXEMPT.has(key)) requestMs = quotas.record(requestSensor, handlerMs / 10);
    }
    const throttleMs = Math.max(bandwidthMs, requestMs);
    if (throttleMs <= 0) return;
    if (res !== null && 'throttleTimeMs' in res) (res as { throttleTimeMs: number }).throttleTimeMs = throttleMs;
    if (throttleMs > startThrottleMs) this.mute(throttleMs);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private mute(ms: number): void {
    const until = performance.now() + ms;
    if (until <= this.until) return;
    this.until = until;
    this.arm(ms);
  }

  private arm(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      // Timers and performance.now() may disagree by a fraction of a millisecond: wait out the rest.
      const left = this.until - performance.now();
      if (left > 0) this.arm(Math.ceil(left));
      else {
        this.until = 0;
        this.unmuted();
      }
    }, ms);
    this.timer.unref();
  }
}
