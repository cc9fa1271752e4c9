/**
 * Everything /metrics reports that is read at scrape time rather than counted: partitions and
 * log sizes and offsets per partition (Kafka's kafka.log:type=Log MBeans), connections,
 * consumer group offsets and lag (the names kafka_exporter gives them, which lag dashboards
 * use), storage recovery, readiness, and process / Node.js metrics (prom-client's names).
 * Cost grows with partitions and groups, once per scrape; nothing here runs on the hot path.
 * Topics, groups and their partitions are capped (series-limits.ts): clients choose their names,
 * and a group left out is not even looked at (its lag is never computed).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { describeGroupLag } from '../groups/admin.js';
import { PrometheusText } from './prometheus-text.js';
import { CappedFamily, pickLabelValues, renderOmitted } from './series-limits.js';
import type { BrokerStatus } from './status.js';

const VERSION = '0.1.0';
/** Sampling period of the event-loop delay timer: 20 ms costs nothing measurable. */
const LOOP_RESOLUTION_MS = 20;
let loopDelay: IntervalHistogram | null = null;

/** Starts event-loop delay sampling (once per process). */
export function startProcessSampling(): void {
  if (loopDelay) return;
  loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loopDelay.enable();
}

/** The histogram records whole timer periods; the lag is what exceeds the period. */
const lagSeconds = (ns: number): number => Math.max(0, ns / 1e9 - LOOP_RESOLUTION_MS / 1000);

export function renderBrokerMetrics(broker: BrokerStatus): string {
  const w = new PrometheusText();
  w.family('runnel_info', 'gauge', 'Constant 1, labelled with the broker identity and version.');
  w.sample('runnel_info', 1, { version: VERSION, node_id: broker.nodeId, cluster_id: broker.clusterId });
  w.family('runnel_ready', 'gauge', '1 once recovery finished and the listeners are open, 0 while starting or stopping.');
  w.sample('runnel_ready', broker.ready ? 1 : 0);

  broker.metrics.render(w);

  const { maxLabelValues, maxPartitionSeries } = broker.metrics.limits;
  const allLogs = broker.logs ? [...broker.logs.partitions()] : [];
  w.family('kafka_server_replicamanager_partitioncount', 'gauge', 'Partitions hosted by this broker.');
  w.sample('kafka_server_replicamanager_partitioncount', allLogs.length);
  w.family('kafka_server_replicamanager_offlinepartitions', 'gauge', 'Partitions offline after a storage failure.');
  w.sample('kafka_server_replicamanager_offlinepartitions', allLogs.filter((l) => l.isOffline).length);
  broker.quotas?.render(w, maxLabelValues);
  broker.shareGroups?.render(w);
  if (broker.replication) broker.replication.render(w);
  else {
    w.family('kafka_server_replicamanager_underreplicatedpartitions', 'gauge', 'Under-replicated partitions (always 0: a single broker keeps one replica).');
    w.sample('kafka_server_replicamanager_underreplicatedpartitions', 0);
  }
  const topicNames = new Set<string>(allLogs.map((l) => l.topic));
  if (broker.topics) for (const t of broker.topics.all()) topicNames.add(t.name);
  const topics = pickLabelValues(topicNames, maxLabelValues);
  const reported = new Set(topics.kept);
  if (broker.topics) {
    w.family('kafka_topic_partitions', 'gauge', 'Partitions per topic.');
    for (const t of broker.topics.all()) if (reported.has(t.name)) w.sample('kafka_topic_partitions', t.partitions, { topic: t.name });
  }
  const logs = allLogs.filter((l) => reported.has(l.topic));
  logs.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  const capped: CappedFamily[] = [];
  const perPartition = (name: string, help: string, value: (l: (typeof logs)[number]) => number) => {
    w.family(name, 'gauge', help);
    const f = new CappedFamily(w, name, maxPartitionSeries);
    capped.push(f);
    for (const l of logs) f.sample(value(l), { topic: l.topic, partition: l.partition });
  };
  perPartition('kafka_log_log_size', 'Bytes of all segments of the partition.', (l) => l.size);
  perPartition('kafka_log_log_logstartoffset', 'First offset of the partition.', (l) => l.logStartOffset);
  perPartition('kafka_log_log_logendoffset', 'Offset after the last record visible to consumers (high watermark).', (l) => l.highWatermark);
  perPartition('kafka_log_log_numlogsegments', 'Segments of the partition.', (l) => l.segmentBaseOffsets().length);

  w.family('kafka_server_socketservermetrics_connection_count', 'gauge', 'Open client connections, by listener.');
  for (const [listener, n] of broker.connectionsByListener()) w.sample('kafka_server_socketservermetrics_connection_count', n, { listener });
  // Kafka's SocketServer MemoryPoolUsed / MemoryPoolAvailable (queued.max.request.bytes).
  w.family('kafka_network_socketserver_memorypoolused', 'gauge', 'Bytes of received, not yet processed requests (reserved against queued.max.request.bytes).');
  w.sample('kafka_network_socketserver_memorypoolused', broker.requestMemory.usedBytes());
  const available = broker.requestMemory.availableBytes();
  if (Number.isFinite(available)) {
    w.family('kafka_network_socketserver_memorypoolavailable', 'gauge', 'Bytes left before queued.max.request.bytes stops connections reading (negative after an overshoot).');
    w.sample('kafka_network_socketserver_memorypoolavailable', available);
  }

  const groupsOmitted = renderGroupLag(w, broker, capped);
  renderOmitted(w, [['topic', topics.omitted], ['consumergroup', groupsOmitted]], capped);

  if (broker.logs) {
    const s = broker.logs.stats;
    w.family('runnel_storage_recovery_seconds', 'gauge', 'Time the storage took to load (and, after an unclean shutdown, recover) the logs at startup.');
    w.sample('runnel_storage_recovery_seconds', s.recoveryMs / 1000);
    w.family('runnel_storage_unclean_shutdown', 'gauge', '1 when the last shutdown was not clean (logs were recovered at startup).');
    w.sample('runnel_storage_unclean_shutdown', s.uncleanShutdown ? 1 : 0);
    w.family('runnel_storage_truncated_bytes', 'gauge', 'Bytes cut from torn segment tails at startup.');
    w.sample('runnel_storage_truncated_bytes', s.truncatedBytes);
  }
  renderProcess(w, broker);
  return w.toString();
}

/** Writes the consumer group families; returns how many groups the cap left out. */
function renderGroupLag(w: PrometheusText, broker: BrokerStatus, capped: CappedFamily[]): number {
  const coord = broker.groups;
  const { maxLabelValues, maxPartitionSeries } = broker.metrics.limits;
  const groups = coord ? pickLabelValues(coord.groups.keys(), maxLabelValues, (id) => (coord.getGroup(id)?.members.size ?? 0) === 0) : { kept: [], omitted: 0 };
  const rows = coord ? groups.kept.map((id) => describeGroupLag(coord, id)).filter((g) => g !== null) : [];
  w.family('kafka_consumergroup_members', 'gauge', 'Members of each consumer group.');
  for (const g of rows) w.sample('kafka_consumergroup_members', coord?.getGroup(g.groupId)?.members.size ?? 0, { consumergroup: g.groupId, state: g.state });
  const family = (name: string, help: string): CappedFamily => {
    w.family(name, 'gauge', help);
    const f = new CappedFamily(w, name, maxPartitionSeries);
    capped.push(f);
    return f;
  };
  const current = family('kafka_consumergroup_current_offset', 'Committed offset of the group, per partition.');
  for (const g of rows) for (const p of g.partitions) if (p.committed !== null && p.committed >= 0) current.sample(p.committed, { consumergroup: g.groupId, topic: p.topic, partition: p.partition });
  const lag = family('kafka_consumergroup_lag', 'Log end offset minus committed offset, per group and partition.');
  for (const g of rows) for (const p of g.partitions) if (p.lag !== null) lag.sample(p.lag, { consumergroup: g.groupId, topic: p.topic, partition: p.partition });
  const lagSum = family('kafka_consumergroup_lag_sum', 'Lag of the group summed over the partitions of a topic.');
  for (const g of rows) {
    const byTopic = new Map<string, number>();
    for (const p of g.partitions) if (p.lag !== null) byTopic.set(p.topic, (byTopic.get(p.topic) ?? 0) + p.lag);
    for (const [topic, sum] of byTopic) lagSum.sample(sum, { consumergroup: g.groupId, topic });
  }
  return groups.omitted;
}

function renderProcess(w: PrometheusText, broker: BrokerStatus): void {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  w.family('process_cpu_user_seconds_total', 'counter', 'User CPU time spent in seconds.').sample('process_cpu_user_seconds_total', cpu.user / 1e6);
  w.family('process_cpu_system_seconds_total', 'counter', 'System CPU time spent in seconds.').sample('process_cpu_system_seconds_total', cpu.system / 1e6);
  w.family('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.').sample('process_cpu_seconds_total', (cpu.user + cpu.system) / 1e6);
  w.family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.').sample('process_resident_memory_bytes', mem.rss);
  w.family('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.').sample('process_start_time_seconds', Math.round(Date.now() / 1000 - process.uptime()));
  const fds = openFds();
  if (fds !== null) w.family('process_open_fds', 'gauge', 'Number of open file descriptors.').sample('process_open_fds', fds);
  const maxFds = maxOpenFds();
  if (maxFds !== null) w.family('process_max_fds', 'gauge', 'Maximum number of open file descriptors.').sample('process_max_fds', maxFds);
  w.family('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap size in bytes.').sample('nodejs_heap_size_total_bytes', mem.heapTotal);
  w.family('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap used in bytes.').sample('nodejs_heap_size_used_bytes', mem.heapUsed);
  w.family('nodejs_external_memory_bytes', 'gauge', 'Memory of C++ objects bound to JavaScript objects (buffers) in bytes.').sample('nodejs_external_memory_bytes', mem.external);
  if (loopDelay) {
    w.family('nodejs_eventloop_lag_p50_seconds', 'gauge', 'Median event loop delay since start, in seconds.').sample('nodejs_eventloop_lag_p50_seconds', lagSeconds(loopDelay.percentile(50)));
    w.family('nodejs_eventloop_lag_p99_seconds', 'gauge', '99th percentile event loop delay since start, in seconds.').sample('nodejs_eventloop_lag_p99_seconds', lagSeconds(loopDelay.percentile(99)));
    w.family('nodejs_eventloop_lag_max_seconds', 'gauge', 'Largest event loop delay since start, in seconds.').sample('nodejs_eventloop_lag_max_seconds', lagSeconds(loopDelay.max));
  }
  w.family('nodejs_version_info', 'gauge', 'Node.js version.').sample('nodejs_version_info', 1, { version: process.version });
  w.family('runnel_uptime_seconds', 'gauge', 'Seconds since the broker started.').sample('runnel_uptime_seconds', (Date.now() - broker.startedAt) / 1000);
}

function openFds(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

function maxOpenFds(): number | null {
  try {
    const m = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
