/**
 * The composition root: builds the broker from its parts and wires them together — configuration,
 * data directory, storage, topics, partitions, producer state, the group and transaction
 * coordinators, the schema registry, the admin HTTP endpoint and the Kafka listeners — and stops
 * them in order. Nothing else in src/ imports this file: each part is started from the ports it
 * needs (its *Deps / port interfaces), and request handlers see only the BrokerServices built in
 * `services()`. Only the entry points import it (src/index.ts's startBroker(), `runnel start`).
 *
 * `Broker.start()` is the one startup path used by `npm start`, the CLI and the embedding API.
 * Its public fields (topics, groups, txn, logs, metrics, handlers ...) are for tests and tools
 * that embed the broker.
 */
import type { ShareGroupService } from './share/service.js';
import { startShareGroups } from './share/start.js';
import { MemberMemoryBudget, heldByGroups } from './groups/member-memory.js';
import { resolve } from 'node:path';
import type { Logger } from './logger.js';
import { BrokerConfig } from './config/broker-config.js';
import { loadMetaProperties, newClusterId, readMetaProperties, writeMetaProperties } from './metadata/data-dir.js';
import { lockDataDir } from './metadata/dir-lock.js';
import { METADATA_FILE, TopicStore } from './metadata/topic-store.js';
import { TopicManager } from './metadata/topic-manager.js';
import { Listeners } from './server/listener.js';
import { RequestMemoryPool } from './server/request-memory.js';
import { ApiRegistry } from './handlers/registry.js';
import type { BrokerServices, Handler } from './handlers/types.js';
import { LogManager } from '../storage/log-manager.js';
import { type StorageFs, realFs } from '../storage/fs.js';
import { decompress } from '../protocol/records/compression.js';
import type { CompressionType } from '../protocol/records/batch.js';
import { GroupService, startGroupCoordinator, type GroupCoordinator } from './groups/index.js';
import { Metrics } from './metrics.js';
import type { AdminHttpServer } from './admin-http/server.js';
import { startAdminEndpoint } from './admin-http/start.js';
import type { BrokerStatus, Lifecycle } from './admin-http/status.js';
import { ProducerStateManager } from './txn/producer-state-manager.js';
import { ProducerIdAllocator } from './txn/producer-ids.js';
import { TransactionCoordinator } from './txn/coordinator.js';
import { ClusterMarkerSender } from './txn/cluster-markers.js';
import { TransactionalPartitions } from './txn/txn-partitions.js';
import { appendTransactionalBatch } from './txn/transactional-append.js';
import { ReplicaManager, type ReplicaLogStore } from './replica/replica-manager.js';
import type { FollowerFetchers } from './replica/follower-fetchers.js';
import { EtcdIsrWriter } from './replica/isr-etcd.js';
import { Replication } from './replica/replication.js';
import { HostedPartitions } from './replica/hosted-partitions.js';
import { startSchemaRegistry, type BrokerSchemaRegistry } from './schema/index.js';
import { FREE_SPACE_CHECK_INTERVAL_KEY, FreeSpaceGuard, MIN_FREE_BYTES_KEY } from './data/free-space.js';
import { LocalLeadership } from './data/local-leadership.js';
import type { Leadership } from './data/leadership.js';
import { LocalNode, type ListenerAddress, type NodePort } from './cluster/node.js';
import { clusterSettings } from './cluster/cluster-config.js';
import { ClusterMode } from './cluster/cluster-mode.js';
import { ClusterNode } from './cluster/cluster-node.js';
import { registrationListeners } from './cluster/registration.js';
import { interBrokerAddresses, markerRouting, registryCluster, registryUrlForOthers } from './cluster-ports.js';
import { ClusterTopics } from './metadata/cluster-topics.js';
import { partitionRacksOf } from './groups/consumer/racks.js';
import type { ProducerIdsPort } from './txn/port.js';
import { ConfigAdmin } from './admin/configs.js';
import { AllowAll, type Authorizer } from './security/authorizer.js';
import { openAuthorizer } from './security/open-authorizer.js';
import { EtcdScramStore, FileScramStore, type ScramStore } from './security/sasl/scram-store.js';
import { SaslService } from './security/sasl/sasl-service.js';
import { startTransportSecurity, withProbeSecurity, type TransportSecurity } from './broker-security.js';
import { BrokerStartError } from './errors.js';
import { startQuotas, type BrokerQuotas } from './quotas/start.js';
import { openFeatureLevels, registrationRanges } from './features/start.js';
import type { FeatureLevels } from './features/feature-levels.js';

export type { ListenerAddress };

export class Broker implements BrokerStatus {
  readonly nodeId: number;
  readonly dataDir: string;
  /** Who this broker is: node and cluster id, the brokers and controller (Metadata, FindCoordinator). */
  node: NodePort;
  /** Cluster mode (runnel.etcd.endpoints set): membership, metadata image, controller; null on a single node. */
  cluster: ClusterMode | null = null;
  /** Cluster mode: where followed partitions are fetched (the replication data path plugs in here). */
  fetchers: FollowerFetchers | undefined;
  /** Cluster mode: the replication data path (follower fetchers, ISR, acks=all; src/replica/replication.ts). */
  replication: Replication | null = null;
  /** Who may do what (security/): AllowAll unless authorizer.class.name turns ACLs on. */
  authorizer: Authorizer = new AllowAll();
  /** TLS of the SSL / SASL_SSL listeners, the HTTP ports and inter-broker clients; HTTP Basic auth. */
  private transport!: TransportSecurity;
  /** Every API served, by key (handlers/registry.ts). */
  readonly registry = new ApiRegistry();
  readonly handlers: Map<number, Handler> = this.registry.handlers;
  logs!: LogManager;
  topics!: TopicManager;
  /** The partitions this broker hosts, each with its replica state over its log (src/replica/). */
  replicas!: ReplicaManager;
  /** The partitions port over the replica manager (append order, free-space refusal). */
  partitions!: HostedPartitions;
  /**
   * Which partitions this broker leads: the coordinators follow it. One node: every hosted
   * partition (LocalLeadership, also `localLeadership`); a cluster: the replica manager's roles.
   */
  leadership!: Leadership;
  /** One node: the leadership port, whose resign/lead simulate moves (tests); null in a cluster. */
  localLeadership: LocalLeadership | null = null;
  /** Partitions ever part of a transaction (read_committed consults producer state only for them). */
  txnPartitions!: TransactionalPartitions;
  groups!: GroupCoordinator;
  shareGroups!: ShareGroupService; // KIP-932, src/share/
  /** Producer ids: blocks persisted in the data dir (single node) or taken from etcd (cluster). */
  producerIds!: ProducerIdsPort;
  /** SCRAM credentials: a file in the data dir (single node) or etcd (cluster). */
  scramCredentials!: ScramStore;
  /** Feature levels (src/features/): finalized in the data dir (single node) or etcd (cluster). */
  features!: FeatureLevels;
  /** The transaction coordinator (transactional ids, __transaction_state, markers). */
  txn!: TransactionCoordinator;
  /** Schema registry: store, REST API (`schemaRegistry.url`) and produce validation. */
  schemaRegistry!: BrokerSchemaRegistry;
  /** The free-disk threshold produce checks (data/free-space.ts). */
  freeSpace!: FreeSpaceGuard;
  readonly producerStates: ProducerStateManager;
  readonly metrics: Metrics;
  /** queued.max.request.bytes: request bytes received and not yet processed, broker-wide. */
  readonly requestMemory: RequestMemoryPool;
  readonly startedAt = Date.now();
  /** True once recovery finished and the listeners are open, until stop() begins (GET /ready). */
  ready = false;
  lifecycle: Lifecycle = 'starting';
  /** Client quotas: what is configured (file or etcd) and their enforcement (src/quotas/). */
  quotas: BrokerQuotas | null = null;
  /** The admin HTTP endpoint (/metrics, /ready, /health), when enabled. */
  adminHttp: AdminHttpServer | null = null;
  private listeners: Listeners | null = null;
  private releaseLock: (() => Promise<void>) | null = null;
  private stopping: Promise<void> | null = null;
  private readonly stopHooks: Array<() => Promise<void> | void> = [];
  private readonly localNode: LocalNode;
  /** Cluster mode: the data directory had no meta.properties (a new broker: nothing in it yet). */
  private freshDataDir = false;

  constructor(
    readonly config: BrokerConfig,
    readonly log: Logger,
    /**
     * The file-system seam every data-dir write goes through: partition logs and every state file
     * (metadata, meta.properties, producer ids, snapshots). Tests inject faults with FaultyFs.
     */
    readonly stateFs: StorageFs = realFs,
  ) {
    this.nodeId = config.nodeId();
    this.node = this.localNode = new LocalNode(this.nodeId);
    this.dataDir = resolve(config.dataDir());
    this.producerStates = new ProducerStateManager(log.child({ component: 'producer-state' }), stateFs);
    this.requestMemory = new RequestMemoryPool(config.int('queued.max.request.bytes'));
    this.metrics = new Metrics({ maxLabelValues: config.int('runnel.metrics.max.label.values'), maxPartitionSeries: config.int('runnel.metrics.max.partition.series') });
  }

  static async start(config: BrokerConfig, log: Logger, seams: { storageFs?: StorageFs; onLogDirFailure?: (err: unknown) => void } = {}): Promise<Broker> {
    const broker = new Broker(config, log, seams.storageFs);
    broker.onLogDirFailure = seams.onLogDirFailure ?? null;
    try {
      await broker.open();
    } catch (err) {
      await broker.stop().catch(() => undefined);
      throw err;
    }
    return broker;
  }

  /** What `runnel start` does when the log dir fails in cluster mode (halt); null: stop(). */
  private onLogDirFailure: ((err: unknown) => void) | null = null;
  private logDirFailure = false;

  /** A cluster broker's log dir failed: halt (runnel start) or stop (embedded), once. */
  private logDirFailed(l: { topic: string; partition: number }, err: unknown): void {
    if (this.stopping) return;
    if (this.logDirFailure) return;
    this.logDirFailure = true;
    this.log.fatal({ err, topic: l.topic, partition: l.partition, dir: this.dataDir }, 'log dir failed: stopping the broker so that its partitions move to other replicas');
    if (this.onLogDirFailure) this.onLogDirFailure(err);
    else void this.stop().catch((e) => this.log.error({ err: e }, 'stop after log dir failure failed'));
  }

  /** The cluster id from meta.properties ('' until the data directory is loaded). */
  get clusterId(): string {
    return this.node.clusterId;
  }

  /** Where clients reach us, per listener name, with real ports once bound. */
  get advertised(): ListenerAddress[] {
    return this.localNode.advertised;
  }

  /** Registers cleanup run at stop, before storage closes (group coordinator, timers...). */
  onStop(fn: () => Promise<void> | void): void {
    this.stopHooks.push(fn);
  }

  private async open(): Promise<void> {
    const t0 = performance.now();
    for (const w of this.config.warnings) this.log.warn(w);
    // TLS material first (the admin port may serve HTTPS): bad material fails startup with the key to fix.
    this.transport = await startTransportSecurity(this.config, this.log, (fn) => this.onStop(fn));
    // Admin HTTP first: /health answers and /ready says 503 while storage recovers.
    this.adminHttp = await startAdminEndpoint(this, this.config, this.transport.http, this.log);
    this.releaseLock = await lockDataDir(this.dataDir);
    const cluster = await this.joinCluster();
    // Shared by the produce path, the follower fetchers and the transaction coordinator, which all
    // record partitions they put transactions in.
    this.txnPartitions = await TransactionalPartitions.open(this.dataDir, this.stateFs);
    if (cluster && this.freshDataDir) await this.txnPartitions.startEmpty();
    if (!cluster) this.localNode.clusterId = await loadMetaProperties(this.dataDir, this.nodeId, this.config.string('cluster.id'), this.stateFs);
    // Cluster mode: etcd holds the topics; the store mirrors the metadata image (no file).
    const store = cluster ? TopicStore.inMemory() : await TopicStore.load(this.dataDir, this.stateFs);
    const clusterTopics = cluster
      ? new ClusterTopics({ nodeId: this.nodeId, store: cluster.topicStore, image: () => cluster.current(), applied: (done, ms) => cluster.applied(done, ms), applyTimeoutMs: cluster.settings.requestTimeoutMs })
      : null;
    // Dynamic broker overrides first: they feed the storage defaults below.
    this.topics = new TopicManager(store, this.config, this.log, this.nodeId, clusterTopics);
    this.topics.loadBrokerConfigs();
    this.features = await openFeatureLevels(this.nodeId, this.config, store, cluster, this.log);
    this.topics.onChange((event, topic) => event === 'deleted' && this.metrics.topicDeleted(topic.name));
    this.logs = await LogManager.open({
      dataDir: this.dataDir,
      fs: this.stateFs,
      logger: this.log.child({ component: 'storage' }),
      defaults: TopicManager.brokerLogDefaults(this.config),
      maxOpenFiles: this.config.int('runnel.max.open.files'),
      retentionCheckIntervalMs: this.config.int('log.retention.check.interval.ms'),
      recoveryPointCheckpointIntervalMs: this.config.int('log.flush.offset.checkpoint.interval.ms'),
      cleanerBackoffMs: this.config.int('log.cleaner.backoff.ms'),
      // Compaction reads keys inside compressed batches with the same codecs the data path uses.
      cleaner: { decompress: (codec, data) => decompress(codec as CompressionType, data) },
      onFsync: (seconds, failed) => this.metrics.fsync(seconds, failed),
      // Cluster: the replication layer moves every log's high watermark (min over the ISR).
      replicated: cluster !== null,
      // Cluster: the log dir failed (Runnel has one), so this broker cannot be a replica of anything
      // any more: it stops, as Kafka halts a broker whose last log dir went offline, and the
      // controller moves its leaderships (docs/cluster.md, "Disk failures").
      onLogDirFailure: cluster ? (l, err) => this.logDirFailed(l, err) : undefined,
    });
    this.topics.attachLogs(this.logs);
    // Cluster mode: the replica manager creates and removes logs as the metadata image assigns them.
    if (!cluster) await this.topics.reconcile();
    this.freeSpace = new FreeSpaceGuard(this.stateFs, this.dataDir, this.config.int(MIN_FREE_BYTES_KEY), this.config.int(FREE_SPACE_CHECK_INTERVAL_KEY), this.log.child({ component: 'storage' }));
    // Cluster: a leader that refuses produce for want of space would keep its partitions
    // unavailable while replicas elsewhere could take them: a low disk is a failed log dir.
    if (cluster) this.freeSpace.onLow = (problem) => this.logDirFailed({ topic: '', partition: -1 }, new Error(problem));
    await this.freeSpace.start();
    // Every partition whose log is there is hosted (led here, at the newest epoch its log has: 0
    // so far) before anything reads it; topic changes keep the set current (logs first, then the
    // event, as TopicManager orders them). A deleted topic's producer state goes with it.
    if (cluster) await this.followCluster(cluster);
    else {
      this.replicas = new ReplicaManager({ brokerId: this.nodeId, topics: this.topics, logs: this.logs });
      this.replicas.loadTopics(this.topics.all());
      const replicas = this.replicas;
      const states = this.producerStates;
      this.topics.onChange((event, topic) => {
        if (event === 'deleted') for (const p of replicas.topicDeleted(topic.name)) states.forget(p);
        else replicas.onTopicChange(event, topic);
      });
    }
    this.partitions = new HostedPartitions(this.replicas, this.freeSpace, this.dataDir, this.logs);
    // One node: after the replica manager's topic listener, so a created topic is hosted before it
    // is announced. A cluster: the replica manager announces the roles it applies.
    const leadership = (this.leadership = cluster ? this.replicas.leadership : (this.localLeadership = new LocalLeadership(this.topics, this.partitions)));
    this.producerIds = cluster ? cluster.producerIds : await ProducerIdAllocator.open(this.dataDir, this.stateFs);
    this.scramCredentials = cluster ? new EtcdScramStore(cluster.store) : await FileScramStore.load(this.dataDir, this.stateFs);
    const partitions = this.partitions;
    const producerStates = this.producerStates;
    this.groups = await startGroupCoordinator({
      log: this.log,
      config: this.config,
      topics: this.topics,
      partitions,
      leadership,
      appendTransactional: (partition, batch, producerId, minIsr) => appendTransactionalBatch(partitions, producerStates, partition, batch, producerId, minIsr),
      partitionRacks: partitionRacksOf(cluster ? () => cluster.current() : null, this.config.string('broker.rack')),
      groupConfigs: (g) => this.topics.groupConfigs(g),
    });
    const groups = this.groups;
    this.onStop(() => groups.shutdown());
    this.shareGroups = await startShareGroups({ config: this.config, topics: this.topics, partitions, leadership, log: this.log.child({ component: 'share-groups' }), routing: cluster ? markerRouting(cluster, this.config) : null, tls: this.transport.interBrokerTls, onStop: (f) => this.onStop(f), features: this.features, producerIds: this.producerIds });
    // A cluster: markers go to each partition's leader (closed after the coordinator stopped).
    const markers = cluster
      ? new ClusterMarkerSender({
          local: { config: this.config, topics: this.topics, partitions, producerStates, groups },
          routing: markerRouting(cluster, this.config),
          log: this.log.child({ component: 'transactions' }),
          tls: this.transport.interBrokerTls,
        })
      : undefined;
    if (markers) this.onStop(() => markers.close());
    // After the groups: completing transactions left half-ended applies their group offsets.
    this.txn = await TransactionCoordinator.start({
      log: this.log,
      config: this.config,
      dataDir: this.dataDir,
      stateFs: this.stateFs,
      topics: this.topics,
      partitions,
      producerIds: this.producerIds,
      producerStates,
      groups,
      leadership,
      markers,
      transactionalPartitions: this.txnPartitions,
    });
    const txn = this.txn;
    this.onStop(() => txn.shutdown());
    this.schemaRegistry = await startSchemaRegistry({ log: this.log, config: this.config, topics: this.topics, partitions, leadership, cluster: cluster ? registryCluster(cluster) : undefined, httpSecurity: this.transport.http });
    const registry = this.schemaRegistry;
    this.onStop(() => registry.close());
    const acl = await openAuthorizer({ config: this.config, log: this.log, dataDir: this.dataDir, fs: this.stateFs, etcd: cluster?.store ?? null });
    this.authorizer = acl.authorizer;
    this.onStop(() => acl.close());
    // Client quotas: the data dir on one node, etcd in a cluster (every broker enforces the same).
    const quotas = (this.quotas = await startQuotas({ config: this.config, dataDir: this.dataDir, stateFs: this.stateFs, etcd: cluster?.store ?? null }));
    this.onStop(() => quotas.close());
    // SASL listeners: built here so that an inconsistent SASL setup stops the start before binding.
    const sasl = new SaslService(this.config, this.scramCredentials, this.log, this.metrics);
    const deps = { config: this.config, handlers: this.handlers, requestMemory: this.requestMemory, metrics: this.metrics, services: this.services(), quotas: quotas.clientQuotas, sasl };
    this.listeners = new Listeners(this.config, this.log, deps, quotas.connectionRate, this.transport.tls);
    await this.listeners.open();
    this.localNode.advertised = this.listeners.advertised;
    if (cluster) await this.registerInCluster(cluster);
    this.ready = true;
    this.lifecycle = 'ready';
    this.log.info(
      {
        nodeId: this.nodeId,
        clusterId: this.clusterId,
        dataDir: this.dataDir,
        listeners: this.advertised.map((a) => `${a.name}://${a.host}:${a.port}`),
        admin: this.adminHttp?.url ?? null,
        schemaRegistry: this.schemaRegistry.url,
        topics: store.size(),
        cluster: cluster ? { etcd: cluster.settings.endpoints, controllerId: this.node.controllerId, brokers: cluster.current().brokers.size } : null,
        startupMs: Math.round(performance.now() - t0),
      },
      'broker started',
    );
  }

  // ---- cluster mode (docs/cluster.md) ----------------------------------------------------------

  /**
   * Cluster mode: connects to etcd, joins with the cluster id meta.properties agrees with (etcd's,
   * recorded on first start), and loads the metadata image; the node port answers from it from now
   * on. Null on a single node (etcd3 is never loaded then).
   */
  private async joinCluster(): Promise<ClusterMode | null> {
    const base = clusterSettings(this.config);
    if (!base) return null;
    const settings = withProbeSecurity(base, this.transport, this.config);
    // Topics of a single-node broker live in its data dir, which cluster mode would take for
    // leftovers and delete: refuse rather than lose them.
    const local = (await TopicStore.load(this.dataDir, this.stateFs)).size();
    if (local > 0) {
      throw new BrokerStartError(
        `${this.dataDir} holds ${local} topic(s) of a single-node broker (${METADATA_FILE}); in a cluster (runnel.etcd.endpoints) topics live in etcd and their logs here would be deleted. Start it without runnel.etcd.endpoints, or give the cluster broker another log.dirs.`,
      );
    }
    const cluster = (this.cluster = await ClusterMode.connect(settings, this.log));
    const stored = await readMetaProperties(this.dataDir, this.nodeId, this.stateFs);
    const clusterId = await cluster.joinClusterId({ stored, configured: this.config.string('cluster.id'), fresh: newClusterId() });
    if (stored === null) await writeMetaProperties(this.dataDir, this.nodeId, clusterId, this.stateFs);
    this.freshDataDir = stored === null;
    await cluster.loadImage();
    this.node = new ClusterNode(this.nodeId, () => cluster.current(), () => this.localNode.advertised, {
      electLeaders: (partitions, type) => cluster.electLeaders(partitions, type),
      alterPartitionReassignments: (moves) => cluster.alterReassignments(moves),
    });
    return cluster;
  }

  /**
   * Cluster mode: the replica manager hosts what the metadata image assigns here, creating and
   * deleting logs, and the topic mirror follows the same image (topic events after the partitions).
   * Fenced until registered: a partition the image still names this broker leader of (from before a
   * restart) is not led before the controller has seen this broker come back.
   */
  private async followCluster(cluster: ClusterMode): Promise<void> {
    const logs = this.logs;
    const topics = this.topics;
    const states = this.producerStates;
    const log = this.log.child({ component: 'replicas' });
    const replicaLogs: ReplicaLogStore = {
      get: (topic, partition) => logs.get(topic, partition),
      // Fresh: a directory left under the name (a deletion cut short) is moved aside first.
      create: (parts) =>
        logs.createFresh(
          parts.map(({ topic, partition }) => {
            const t = topics.get(topic);
            return { topic, partition, config: t ? topics.logConfig(t) : TopicManager.brokerLogDefaults(this.config) };
          }),
        ),
      remove: async (topic, partition) => {
        try {
          await logs.deletePartition(topic, partition);
        } catch (err) {
          log.error({ topic, partition, err: (err as Error).message }, 'could not delete the log of a partition no longer hosted here; retried at the next start');
        }
      },
      all: () => [...logs.partitions()].map((l) => ({ topic: l.topic, partition: l.partition })),
    };
    const replication = (this.replication = new Replication({
      brokerId: this.nodeId,
      config: this.config,
      isrWriter: new EtcdIsrWriter(cluster.store),
      addresses: interBrokerAddresses(cluster, this.config),
      tls: this.transport.interBrokerTls,
      // Kafka's isReplicaIsrEligible: registered and not in a controlled shutdown.
      isrEligible: (id) => {
        const b = cluster.current().brokers.get(id);
        return b !== undefined && !b.shuttingDown;
      },
      log: this.log,
      maxPartitionSeries: this.config.int('runnel.metrics.max.partition.series'),
      // Followers do not keep producer state: a new leader rebuilds it from its log.
      onBecameLeader: (p) => states.forget(p),
      transactionalPartitions: this.txnPartitions,
    }));
    this.fetchers = replication.fetchers;
    this.onStop(() => replication.close());
    // The replication throttles follow each topic's throttled-replicas configs.
    const quotas = replication.quotas;
    for (const t of topics.all()) quotas.topicChanged(t);
    topics.onChange((event, t) => (event === 'deleted' ? quotas.topicDeleted(t.name) : quotas.topicChanged(t)));
    const replicas = (this.replicas = new ReplicaManager({
      brokerId: this.nodeId,
      topics,
      logs,
      replication: replication.context,
      cluster: {
        logs: replicaLogs,
        fetchers: this.fetchers,
        onRemoved: (p) => states.forget(p),
        onError: (topic, partition, err) => log.error({ topic, partition, err: (err as Error).message }, 'could not create the log of a partition assigned here; retrying at the next change'),
      },
    }));
    replicas.setFenced(true);
    cluster.on('fenced', () => replicas.setFenced(true));
    cluster.on('unfenced', () => replicas.setFenced(false));
    cluster.on('error', (err: Error) => {
      this.log.fatal({ err: err.message }, 'leaving the cluster: another broker registered this node.id');
      void this.stop();
    });
    await cluster.follow(async (image) => {
      const emit = topics.applyClusterImage(image);
      await replicas.applyAssignment(image);
      emit();
    });
    replication.start(
      () => replicas.leaderPartitions(),
      (name) => {
        const t = topics.get(name);
        return t ? topics.settings(t).minInsyncReplicas : 1;
      },
    );
  }

  /** Cluster mode, once the listeners are bound: registers with their addresses, then leads what the image says. */
  private async registerInCluster(cluster: ClusterMode): Promise<void> {
    const protocols = new Map(registrationListeners(this.config).map((l) => [l.name, l.securityProtocol]));
    await cluster.register(
      this.localNode.advertised.map((a) => ({ name: a.name, host: a.host, port: a.port, securityProtocol: protocols.get(a.name) ?? 'PLAINTEXT' })),
      registryUrlForOthers(this.schemaRegistry.url, this.config, this.advertised),
      registrationRanges(this.features),
    );
    this.replicas.setFenced(false);
    await cluster.reapply();
  }

  /** The ports request handlers see (handlers/types.ts), once every subsystem has started. */
  private services(): BrokerServices {
    return {
      node: this.node,
      config: this.config,
      topics: this.topics,
      partitions: this.partitions,
      producers: this.producerStates,
      producerIds: this.producerIds,
      groups: new GroupService(this.groups),
      txn: this.txn,
      schemas: this.schemaRegistry.validator,
      configs: new ConfigAdmin({ nodeId: this.nodeId, config: this.config, topics: this.topics }),
      metrics: this.metrics,
      authorizer: this.authorizer,
      apiVersions: this.registry,
      scramCredentials: this.scramCredentials,
      clientQuotas: this.quotas!.port,
      features: this.features,
      shareGroups: this.shareGroups,
      memberMemory: new MemberMemoryBudget(() => this.config.int('runnel.group.members.max.bytes'), () => heldByGroups(this.groups.groups.values()) + this.shareGroups.memberBytes(), (f, m) => this.log.warn(f, m)),
    };
  }

  /** Open connections per listener name (metrics). */
  connectionsByListener(): Map<string, number> {
    return this.listeners?.connectionsByListener() ?? new Map();
  }

  /**
   * Graceful stop: refuse new connections, let in-flight requests finish (bounded by
   * runnel.shutdown.timeout.ms), close storage with checkpoints and the clean-shutdown marker.
   */
  stop(): Promise<void> {
    if (!this.stopping) this.stopping = this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const t0 = performance.now();
    this.ready = false;
    this.lifecycle = 'stopping';
    // Cluster: no more probing of the others, and no re-registration once the lease is gone (the
    // others' probes revoke it as soon as the listeners below close).
    this.cluster?.leave();
    // Cluster: leaderships move to other brokers first, while this one still serves.
    await this.cluster?.shutdown(this.config.int('runnel.shutdown.timeout.ms'));
    const deadline = Date.now() + this.config.int('runnel.shutdown.timeout.ms');
    // Stop accepting connections. (A server's close callback waits until every connection has
    // ended — clients keep theirs open — so it is awaited only after we closed them below.)
    const serversClosed = this.listeners?.stopAccepting() ?? Promise.resolve();
    // Parked JoinGroup/SyncGroup requests are answered now, so connections can drain.
    this.groups?.shutdown();
    while (this.listeners?.busy() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.listeners?.closeConnections('broker shutting down');
    await serversClosed;
    for (const fn of this.stopHooks.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        this.log.error({ err }, 'stop hook failed');
      }
    }
    // Cluster: no more image changes applied to the logs; the lease goes (the registration with it).
    await this.cluster?.close().catch((err) => this.log.warn({ err: (err as Error).message }, 'leaving the cluster failed'));
    this.freeSpace?.stop();
    if (this.logs) {
      await this.producerStates.snapshotAll();
      await this.logs.close();
    }
    if (this.releaseLock) await this.releaseLock();
    await this.adminHttp?.close();
    this.lifecycle = 'stopped';
    this.log.info({ shutdownMs: Math.round(performance.now() - t0) }, 'broker stopped');
  }
}
