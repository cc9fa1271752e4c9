/**
 * The broker's counters and histograms, moved on the hot paths and rendered in Prometheus text
 * format with the names Kafka dashboards expect (as the JMX exporter renders Kafka's MBeans).
 *
 * Cost on the hot path: Produce counts once per appended batch (record count from the batch
 * header), Fetch once per partition read, and each request once (a histogram bucket and an
 * error-code walk over the response's partitions) — never per record. Per-topic and per-API
 * state is found through a Map / an array lookup. State read only at scrape time (partitions,
 * log sizes, lag, process) is collected by src/admin-http/broker-metrics.ts.
 *
 * Per-topic counters keep at most runnel.metrics.max.label.values topics (see
 * admin-http/series-limits.ts); a deleted topic's counters go away, as Kafka removes its MBeans.
 */
import { Histogram, PrometheusText } from './admin-http/prometheus-text.js';
import { OTHER_TOPICS, type MetricsLimits } from './admin-http/series-limits.js';
import { API_CODECS } from '../protocol/generated/index.js';
import { errorName } from '../protocol/errors.js';
import type { AuthenticationMetrics } from './security/authentication-metrics.js';

/** Request latency buckets (seconds): sub-millisecond appends up to long polls and rebalances. */
export const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** fsync buckets (seconds): from page-cache-fast devices to stalled disks. */
export const FSYNC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

class TopicCounter {
  readonly byTopic = new Map<string, number>();
  /** Counts of topics that found the map full. */
  other = 0;
  all = 0;

  constructor(private readonly maxTopics: number) {}

  add(topic: string, n: number): void {
    this.all += n;
    const v = this.byTopic.get(topic);
    if (v !== undefined) this.byTopic.set(topic, v + n);
    else if (this.byTopic.size < this.maxTopics) this.byTopic.set(topic, n);
    else this.other += n;
  }
}

class ApiStats {
  requests = 0;
  readonly errors = new Map<number, number>();
  readonly latency = new Histogram(REQUEST_BUCKETS);
}

/** Adds the non-zero `errorCode` fields of a response (top level and nested arrays) to `out`. */
function countErrorCodes(obj: object, out: Map<number, number>, depth: number): void {
  for (const key in obj) {
    const v = (obj as Record<string, unknown>)[key];
    if (key === 'errorCode') {
      if (typeof v === 'number' && v !== 0) out.set(v, (out.get(v) ?? 0) + 1);
    } else if (depth > 0 && Array.isArray(v)) {
      for (const item of v) if (item !== null && typeof item === 'object' && !Buffer.isBuffer(item)) countErrorCodes(item as object, out, depth - 1);
    }
  }
}

/** What request handlers count (the data path: once per appended batch, once per partition read). */
export interface DataMetrics {
  messagesIn(topic: string, records: number, bytes: number): void;
  /** Records of an old producer's message format v0/v1 converted to RecordBatch v2 (Produce v0-v2). */
  produceMessageConversions(topic: string, records: number): void;
  bytesOut(topic: string, bytes: number): void;
}

/** What the listeners and connections count. */
export interface RequestMetrics extends AuthenticationMetrics {
  /** A request finished after `seconds`; `response` (null when none is sent) is scanned for error codes. */
  requestDone(apiKey: number, seconds: number, response: object | null): void;
  /** A request that failed without an error response (the connection was closed). */
  requestFailed(apiKey: number, seconds: number): void;
  connectionCreated(listener: string): void;
}

export class Metrics implements DataMetrics, RequestMetrics, AuthenticationMetrics {
  readonly messagesInCounter: TopicCounter;
  readonly bytesInCounter: TopicCounter;
  readonly bytesOutCounter: TopicCounter;
  readonly produceConversionsCounter: TopicCounter;
  /** Per API key (an array: keys are small integers). */
  private readonly apis: Array<ApiStats | undefined> = [];
  private readonly connectionsCreated = new Map<string, number>();
  /** Authentication outcomes by listener: [successful, failed, successful re-authentications]. */
  private readonly authentications = new Map<string, [number, number, number]>();
  readonly fsyncLatency = new Histogram(FSYNC_BUCKETS);
  fsyncFailures = 0;

  constructor(readonly limits: MetricsLimits) {
    this.messagesInCounter = new TopicCounter(limits.maxLabelValues);
    this.bytesInCounter = new TopicCounter(limits.maxLabelValues);
    this.bytesOutCounter = new TopicCounter(limits.maxLabelValues);
    this.produceConversionsCounter = new TopicCounter(limits.maxLabelValues);
  }

  /** Drops a deleted topic's series (and frees its place under the cap). */
  topicDeleted(topic: string): void {
    for (const c of [this.messagesInCounter, this.bytesInCounter, this.bytesOutCounter, this.produceConversionsCounter]) c.byTopic.delete(topic);
  }

  messagesIn(topic: string, records: number, bytes: number): void {
    this.messagesInCounter.add(topic, records);
    this.bytesInCounter.add(topic, bytes);
  }

  bytesOut(topic: string, bytes: number): void {
    this.bytesOutCounter.add(topic, bytes);
  }

  produceMessageConversions(topic: string, records: number): void {
    this.produceConversionsCounter.add(topic, records);
  }

  /** A request finished after `seconds`; `response` (null when none is sent) is scanned for error codes. */
  requestDone(apiKey: number, seconds: number, response: object | null): void {
    let s = this.apis[apiKey];
    if (!s) this.apis[apiKey] = s = new ApiStats();
    s.requests++;
    s.latency.observe(seconds);
    if (response !== null) countErrorCodes(response, s.errors, 3);
  }

  /** A request that failed without an error response (the connection was closed). */
  requestFailed(apiKey: number, seconds: number): void {
    let s = this.apis[apiKey];
    if (!s) this.apis[apiKey] = s = new ApiStats();
    s.requests++;
    s.latency.observe(seconds);
    s.errors.set(-1, (s.errors.get(-1) ?? 0) + 1);
  }

  connectionCreated(listener: string): void {
    this.connectionsCreated.set(listener, (this.connectionsCreated.get(listener) ?? 0) + 1);
  }

  authentication(listener: string, ok: boolean, reauthentication = false): void {
    let c = this.authentications.get(listener);
    if (!c) this.authentications.set(listener, (c = [0, 0, 0]));
    c[!ok ? 1 : reauthentication ? 2 : 0]++;
  }

  fsync(seconds: number, failed: boolean): void {
    if (failed) this.fsyncFailures++;
    else this.fsyncLatency.observe(seconds);
  }

  /** The counters and histograms kept here (scrape-time gauges are added by the caller). */
  render(w: PrometheusText = new PrometheusText()): PrometheusText {
    const topicCounter = (name: string, help: string, c: TopicCounter) => {
      w.family(name, 'counter', `${help} The series without a topic label is the sum over all topics; topic="${OTHER_TOPICS}" counts topics beyond runnel.metrics.max.label.values.`);
      w.sample(name, c.all);
      for (const [topic, v] of c.byTopic) w.sample(name, v, { topic });
      if (c.other > 0) w.sample(name, c.other, { topic: OTHER_TOPICS });
    };
    topicCounter('kafka_server_brokertopicmetrics_messagesin_total', 'Records appended.', this.messagesInCounter);
    topicCounter('kafka_server_brokertopicmetrics_bytesin_total', 'Record batch bytes appended.', this.bytesInCounter);
    topicCounter('kafka_server_brokertopicmetrics_bytesout_total', 'Record batch bytes sent to consumers.', this.bytesOutCounter);
    topicCounter(
      'kafka_server_brokertopicmetrics_producemessageconversions_total',
      'Records of old producers (Produce v0-v2, message format v0/v1) converted to RecordBatch v2 on the way in (Kafka ProduceMessageConversionsPerSec): non-zero means clients that Kafka 4 refuses.',
      this.produceConversionsCounter,
    );

    const apis = this.apis.map((s, key) => ({ s, key, name: API_CODECS.get(key)?.name ?? String(key) })).filter((a) => a.s !== undefined) as Array<{ s: ApiStats; key: number; name: string }>;
    w.family('kafka_network_requestmetrics_requests_total', 'counter', 'Requests handled, by API.');
    for (const a of apis) w.sample('kafka_network_requestmetrics_requests_total', a.s.requests, { request: a.name });
    w.family('kafka_network_requestmetrics_errors_total', 'counter', 'Error codes in responses (per partition, group or resource), by API and error; UNKNOWN_SERVER_ERROR also counts requests answered by closing the connection.');
    for (const a of apis) for (const [code, n] of a.s.errors) w.sample('kafka_network_requestmetrics_errors_total', n, { request: a.name, error: errorName(code) });
    w.family('kafka_network_requestmetrics_totaltime_seconds', 'histogram', 'Time from a request being read to its response being ready (Kafka TotalTimeMs, in seconds), by API.');
    for (const a of apis) w.histogram('kafka_network_requestmetrics_totaltime_seconds', a.s.latency, { request: a.name });

    w.family('kafka_server_socketservermetrics_connection_creation_total', 'counter', 'Connections accepted, by listener.');
    for (const [listener, n] of this.connectionsCreated) w.sample('kafka_server_socketservermetrics_connection_creation_total', n, { listener });
    const auth: Array<[string, string, number]> = [
      ['kafka_server_socketservermetrics_successful_authentication_total', 'Connections that authenticated, by listener: SSL at the end of the TLS handshake (client-certificate checks passed), SASL_PLAINTEXT and SASL_SSL at the end of a SASL exchange.', 0],
      ['kafka_server_socketservermetrics_failed_authentication_total', 'Connections refused while authenticating, by listener: a failed TLS handshake on SSL or SASL_SSL (untrusted or expired certificate, a plaintext client), a failed SASL exchange (bad credentials, unsupported mechanism, timeouts, refused requests).', 1],
      ['kafka_server_socketservermetrics_successful_reauthentication_total', 'Successful SASL re-authentications (KIP-368), by listener.', 2],
    ];
    for (const [name, help, i] of auth) {
      w.family(name, 'counter', help);
      for (const [listener, c] of this.authentications) w.sample(name, c[i]!, { listener });
    }

    w.family('kafka_log_logflushstats_logflush_seconds', 'histogram', 'Duration of segment fdatasync calls (Kafka LogFlushRateAndTimeMs, in seconds).');
    w.histogram('kafka_log_logflushstats_logflush_seconds', this.fsyncLatency);
    w.family('kafka_log_logflushstats_logflush_failures_total', 'counter', 'fdatasync calls that failed (the partition goes offline for writes).');
    w.sample('kafka_log_logflushstats_logflush_failures_total', this.fsyncFailures);
    return w;
  }
}
