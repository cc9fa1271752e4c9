/**
 * Client quota enforcement (Kafka's ClientQuotaManager for Produce and Fetch bytes and
 * ClientRequestQuotaManager for request time, written from its documented behaviour):
 *
 *  - Which quota applies to a request is resolved per quota type, from the (user, client id) of
 *    its connection, in Kafka's order of precedence:
 *      user + client-id, user + default client-id, user,
 *      default user + client-id, default user + default client-id, default user,
 *      client-id, default client-id.
 *    The user is the connection's principal name (ANONYMOUS until SASL/mTLS fill it in).
 *  - The matched level decides who shares a rate (Kafka's metric tags): a user-level quota is
 *    shared by all that user's clients, a client-id quota by all connections with that client
 *    id, a user + client-id quota by that pair; a default entity gives each user / client id its
 *    own rate with the default bound.
 *  - Rates are measured over quota.window.num windows of quota.window.size.seconds
 *    (sampled-rate.ts), over at least ONE window for a client that starts (Kafka: window.num − 1):
 *    Kafka lets a fresh client send quota × 10 s at once before throttling it, so a 1 MB/s client
 *    moves ~1.1-1.2 MB/s over its first 10 s and bursts again each time its first sample expires;
 *    Runnel's shorter minimum holds it within a few percent over any 10 s (issue 20's acceptance).
 *    Throttle times are computed as Kafka's otherwise. After a request is recorded, a rate above the bound gives the throttle
 *    time (rate − bound) / bound × window, capped at the whole window (Kafka's bounded
 *    throttle time); the connection returns it in throttle_time_ms and is muted that long
 *    (server/connection.ts, KIP-219).
 *  - request_percentage is a percentage of one event-loop thread over the window (Kafka's unit
 *    is a percentage of one I/O or network thread; Runnel handles requests on one thread).
 *
 * Cost: `active` is false while no user / client-id quota exists, and the connection then does
 * nothing at all. Otherwise a connection keeps its resolution (QuotaClient) until the store's
 * version, its client id or its principal changes — an integer compare per request — and a
 * record is one sample update and an O(quota.window.num) measure. Nothing per record batch.
 *
 * Sensors (one per quota type and sharing key) are bounded by runnel.quota.max.sensors: when a
 * new one would exceed it, sensors idle for a whole window (no live samples) are dropped first,
 * then the oldest created.
 */
import type { ConfigView } from '../config/view.js';
import { USER, clientKey, userClientKey, userKey } from './entity.js';
import { SampledRate } from './sampled-rate.js';
import type { ClientQuotaStore } from './quota-store.js';

export const enum QuotaType {
  Produce = 0,
  Fetch = 1,
  Request = 2,
}

export const QUOTA_KEY_OF: readonly string[] = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage'];
/** Kafka's MBean types, as the JMX exporter names them (kafka_server_<type>_...). */
const METRIC_TYPE: readonly string[] = ['produce', 'fetch', 'request'];

/** One shared rate with its bound. */
export class QuotaSensor {
  readonly rate: SampledRate;
  bound: number;
  lastUsedMs = 0;
  /** The last throttle time given (ms), and totals for /metrics. */
  lastThrottleMs = 0;
  throttledRequests = 0;
  throttleMsTotal = 0;

  constructor(
    readonly type: QuotaType,
    readonly user: string,
    readonly clientId: string,
    bound: number,
    samples: number,
    windowMs: number,
  ) {
    this.bound = bound;
    this.rate = new SampledRate(samples, windowMs, 1);
  }
}

/** What applies to one connection: a sensor per quota type (null: no quota of that type). */
export class QuotaClient {
  constructor(
    readonly version: number,
    readonly user: string,
    readonly clientId: string | null,
    readonly sensors: readonly (QuotaSensor | null)[],
  ) {}
}

export class ClientQuotas {
  private readonly sensors = new Map<string, QuotaSensor>();
  private readonly samples: number;
  private readonly windowMs: number;
  private readonly maxSensors: number;

  constructor(
    readonly store: ClientQuotaStore,
    config: ConfigView,
    private readonly now: () => number = Date.now,
  ) {
    this.samples = config.int('quota.window.num');
    this.windowMs = config.int('quota.window.size.seconds') * 1000;
    this.maxSensors = config.int('runnel.quota.max.sensors');
  }

  /** False while no user or client-id quota is configured: enforcement is skipped entirely. */
  get active(): boolean {
    return this.store.clientEntities > 0;
  }

  /** The connection's resolution, reused while still current. */
  client(cached: QuotaClient | null, user: string, clientId: string | null): QuotaClient {
    const version = this.store.version;
    if (cached !== null && cached.version === version && cached.clientId === clientId && cached.user === user) return cached;
    const sensors = [this.resolve(QuotaType.Produce, user, clientId), this.resolve(QuotaType.Fetch, user, clientId), this.resolve(QuotaType.Request, user, clientId)];
    return new QuotaClient(version, user, clientId, sensors);
  }

  /** Records `value` (bytes, or percent-seconds for requests) and returns the throttle time in ms (0: within quota). */
  record(sensor: QuotaSensor, value: number): number {
    const now = this.now();
    sensor.lastUsedMs = now;
    sensor.rate.record(value, now);
    const rate = sensor.rate.measure(now);
    if (rate <= sensor.bound) return 0;
    const maxMs = this.samples * this.windowMs;
    const ms = sensor.bound > 0 ? Math.min(maxMs, Math.ceil(((rate - sensor.bound) / sensor.bound) * sensor.rate.windowSizeMs(now))) : maxMs;
    sensor.lastThrottleMs = ms;
    sensor.throttledRequests++;
    sensor.throttleMsTotal += ms;
    return ms;
  }

  /**
   * The most one Fetch response may carry under the consumer_byte_rate that applies (Kafka's
   * getMaxValueInQuotaWindow: quota × (quota.window.num − 1) windows); Infinity when none does.
   * Resolves afresh (up to 8 Map lookups), only while some quota exists.
   */
  fetchWindowBytes(user: string, clientId: string | null): number {
    if (!this.active) return Infinity;
    const sensor = this.resolve(QuotaType.Fetch, user, clientId);
    return sensor === null ? Infinity : Math.max(1, Math.floor((sensor.bound * ((this.samples - 1) * this.windowMs)) / 1000));
  }

  private resolve(type: QuotaType, user: string, clientId: string | null): QuotaSensor | null {
    const key = QUOTA_KEY_OF[type]!;
    const c = clientId ?? '';
    const s = this.store;
    let v: number | undefined;
    // Kafka's precedence; the sharing key (tags) follows the level matched.
    if ((v = s.value(userClientKey(user, c), key)) !== undefined || (v = s.value(userClientKey(user, null), key)) !== undefined) return this.sensor(type, user, c, v);
    if ((v = s.value(userKey(user), key)) !== undefined) return this.sensor(type, user, '', v);
    if ((v = s.value(userClientKey(null, c), key)) !== undefined || (v = s.value(userClientKey(null, null), key)) !== undefined) return this.sensor(type, user, c, v);
    if ((v = s.value(userKey(null), key)) !== undefined) return this.sensor(type, user, '', v);
    if ((v = s.value(clientKey(c), key)) !== undefined || (v = s.value(clientKey(null), key)) !== undefined) return this.sensor(type, '', c, v);
    return null;
  }

  private sensor(type: QuotaType, user: string, clientId: string, bound: number): QuotaSensor {
    const id = `${type}\u0000${user}\u0000${clientId}`;
    let s = this.sensors.get(id);
    if (s === undefined) {
      if (this.sensors.size >= this.maxSensors) this.evict();
      s = new QuotaSensor(type, user, clientId, bound, this.samples, this.windowMs);
      s.lastUsedMs = this.now();
      this.sensors.set(id, s);
    }
    s.bound = bound;
    return s;
  }

  private evict(): void {
    const idleBefore = this.now() - this.samples * this.windowMs;
    for (const [id, s] of this.sensors) if (s.lastUsedMs < idleBefore) this.sensors.delete(id);
    if (this.sensors.size < this.maxSensors) return;
    const oldest = this.sensors.keys().next();
    if (!oldest.done) this.sensors.delete(oldest.value);
  }

  /** /metrics: Kafka's per-client quota metrics (type=Produce|Fetch|Request, user, client-id), at most `maxSeries` clients. */
  render(w: { family(name: string, type: 'counter' | 'gauge', help: string): unknown; sample(name: string, value: number, labels?: Record<string, string | number>): unknown }, maxSeries: number): void {
    const now = this.now();
    const byType: QuotaSensor[][] = [[], [], []];
    for (const s of this.sensors.values()) if (byType[s.type]!.length < maxSeries) byType[s.type]!.push(s);
    for (let t = 0; t < 3; t++) {
      const m = METRIC_TYPE[t]!;
      const rateName = t === QuotaType.Request ? `kafka_server_${m}_request_time` : `kafka_server_${m}_byte_rate`;
      const rateHelp = t === QuotaType.Request ? 'Percentage of one request-handling thread used by the client over the quota window (request_percentage quota).' : `${m === 'produce' ? 'Produce' : 'Fetch'} bytes/s of the client over the quota window (${QUOTA_KEY_OF[t]} quota).`;
      w.family(rateName, 'gauge', rateHelp);
      for (const s of byType[t]!) w.sample(rateName, s.rate.measure(now), { [USER]: s.user, client_id: s.clientId });
      w.family(`kafka_server_${m}_throttle_time`, 'gauge', 'The last throttle time (ms) given to the client by this quota.');
      for (const s of byType[t]!) w.sample(`kafka_server_${m}_throttle_time`, s.lastThrottleMs, { [USER]: s.user, client_id: s.clientId });
      w.family(`runnel_quota_${m}_throttled_total`, 'counter', 'Requests of the client throttled by this quota.');
      for (const s of byType[t]!) w.sample(`runnel_quota_${m}_throttled_total`, s.throttledRequests, { [USER]: s.user, client_id: s.clientId });
    }
  }
}
