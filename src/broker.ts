/**
 * The broker: configuration, data directory, storage, topics, listeners and connections, and the
 * state every handler reaches through `ctx.broker`. `Broker.start()` is the one startup path used
 * by `npm start`, the CLI and the embedding API (`startBroker()` in index.ts).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Logger } from './logger.js';
import { BrokerConfig } from './config/broker-config.js';
import { loadMetaProperties } from './metadata/data-dir.js';
import { lockDataDir } from './metadata/dir-lock.js';
import { TopicStore } from './metadata/topic-store.js';
import { Connection } from './server/connection.js';
import { ConnectionQuotas } from './server/connection-quotas.js';
import { normalizeIp } from './config/ip-overrides.js';
import { RequestMemoryPool } from './server/request-memory.js';
import type { Handler } from './handlers/types.js';
import { ALL_HANDLERS } from './handlers/index.js';
import { newApiVersionsResponse, newApiVersionsResponseApiVersion, type ApiVersionsResponse } from '../protocol/generated/index.js';
import { LogManager } from '../storage/log-manager.js';
import { type StorageFs, realFs } from '../storage/fs.js';
import { decompress } from '../protocol/records/compression.js';
import type { CompressionType } from '../protocol/records/batch.js';
import { TopicManager } from './metadata/topic-manager.js';
import { startGroupCoordinator, type GroupCoordinator } from './groups/index.js';
import { Metrics } from './metrics.js';
import { AdminHttpServer, adminListener, ADMIN_LISTENER_KEY } from './admin-http/server.js';
import { ProducerStateManager } from './txn/producer-state-manager.js';
import { ProducerIdAllocator } from './txn/producer-ids.js';
import { TransactionCoordinator } from './txn/coordinator.js';
import { AppendOrder } from './data/append-order.js';
import type { PartitionLog } from '../storage/partition-log.js';
import { startSchemaRegistry, type BrokerSchemaRegistry } from './schema/index.js';
import { BrokerStartError } from './errors.js';
import { FREE_SPACE_CHECK_INTERVAL_KEY, FreeSpaceGuard, MIN_FREE_BYTES_KEY } from './data/free-space.js';

export interface ListenerAddress {
  name: string;
  host: string;
  port: number;
}

export class Broker {
  readonly handlers = new Map<number, Handler>();
  readonly nodeId: number;
  readonly dataDir: string;
  clusterId = '';
  /** Where clients reach us, per listener name, with real ports once bound. */
  advertised: ListenerAddress[] = [];
  logs!: LogManager;
  topics!: TopicManager;
  groups!: GroupCoordinator;
  producerIds!: ProducerIdAllocator;
  /** The transaction coordinator (transactional ids, __transaction_state, markers). */
  txn!: TransactionCoordinator;
  /** Schema registry: store, REST API (`schemaRegistry.url`) and produce validation. */
  schemaRegistry!: BrokerSchemaRegistry;
  /** The free-disk threshold produce checks (data/free-space.ts). */
  freeSpace!: FreeSpaceGuard;
  readonly producerStates: ProducerStateManager;
  readonly appendOrder = new AppendOrder<PartitionLog>();
  readonly metrics: Metrics;
  /** queued.max.request.bytes: request bytes received and not yet processed, broker-wide. */
  readonly requestMemory: RequestMemoryPool;
  readonly startedAt = Date.now();
  /** True once recovery finished and the listeners are open, until stop() begins (GET /ready). */
  ready = false;
  lifecycle: 'starting' | 'ready' | 'stopping' | 'stopped' = 'starting';
  /** The admin HTTP endpoint (/metrics, /ready, /health), when enabled. */
  adminHttp: AdminHttpServer | null = null;
  private readonly servers: Server[] = [];
  private readonly connections = new Set<Connection>();
  private readonly quotas: ConnectionQuotas;
  private nextConnectionId = 1;
  private releaseLock: (() => Promise<void>) | null = null;
  private stopping: Promise<void> | null = null;
  private readonly stopHooks: Array<() => Promise<void> | void> = [];

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
    this.dataDir = resolve(config.dataDir());
    this.producerStates = new ProducerStateManager(log.child({ component: 'producer-state' }), stateFs);
    this.requestMemory = new RequestMemoryPool(config.int('queued.max.request.bytes'));
    this.quotas = new ConnectionQuotas(config);
    this.metrics = new Metrics({ maxLabelValues: config.int('runnel.metrics.max.label.values'), maxPartitionSeries: config.int('runnel.metrics.max.partition.series') });
    for (const h of ALL_HANDLERS) {
      if (this.handlers.has(h.key)) throw new Error(`two handlers for API key ${h.key}`);
      this.handlers.set(h.key, h as Handler);
    }
  }

  static async start(config: BrokerConfig, log: Logger, seams: { storageFs?: StorageFs } = {}): Promise<Broker> {
    const broker = new Broker(config, log, seams.storageFs);
    try {
      await broker.open();
    } catch (err) {
      await broker.stop().catch(() => undefined);
      throw err;
    }
    return broker;
  }

  /** Registers cleanup run at stop, before storage closes (group coordinator, timers...). */
  onStop(fn: () => Promise<void> | void): void {
    this.stopHooks.push(fn);
  }

  private async open(): Promise<void> {
    const t0 = performance.now();
    for (const w of this.config.warnings) this.log.warn(w);
    // Admin HTTP first: /health answers and /ready says 503 while storage recovers.
    await this.startAdminHttp();
    this.releaseLock = await lockDataDir(this.dataDir);
    this.clusterId = await loadMetaProperties(this.dataDir, this.nodeId, this.config.string('cluster.id'), this.stateFs);
    const store = await TopicStore.load(this.dataDir, this.stateFs);
    // Dynamic broker overrides first: they feed the storage defaults below.
    this.topics = new TopicManager(this, store);
    this.topics.loadBrokerConfigs();
    this.topics.onChange((event, topic) => event === 'deleted' && this.metrics.topicDeleted(topic.name));
    this.logs = await LogManager.open({
      dataDir: this.dataDir,
      fs: this.stateFs,
      logger: this.log.child({ component: 'storage' }),
      defaults: TopicManager.brokerLogDefaults(this.config),
      maxOpenFiles: this.config.int('runnel.max.open.files'),
      retentionCheckIntervalMs: this.config.int('log.retention.check.interval.ms'),
      cleanerBackoffMs: this.config.int('log.cleaner.backoff.ms'),
      // Compaction reads keys inside compressed batches with the same codecs the data path uses.
      cleaner: { decompress: (codec, data) => decompress(codec as CompressionType, data) },
      onFsync: (seconds, failed) => this.metrics.fsync(seconds, failed),
    });
    await this.topics.reconcile();
    this.freeSpace = new FreeSpaceGuard(this.stateFs, this.dataDir, this.config.int(MIN_FREE_BYTES_KEY), this.config.int(FREE_SPACE_CHECK_INTERVAL_KEY), this.log.child({ component: 'storage' }));
    await this.freeSpace.start();
    this.producerIds = await ProducerIdAllocator.open(this.dataDir, this.stateFs);
    this.groups = await startGroupCoordinator(this);
    // After the groups: completing transactions left half-ended applies their group offsets.
    this.txn = await TransactionCoordinator.start(this);
    this.schemaRegistry = await startSchemaRegistry(this);
    await this.listen();
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
        startupMs: Math.round(performance.now() - t0),
      },
      'broker started',
    );
  }

  private async startAdminHttp(): Promise<void> {
    const l = adminListener(this.config);
    if (!l) return;
    const server = new AdminHttpServer(this);
    try {
      await server.listen(l.host, l.port);
      this.adminHttp = server;
    } catch (e) {
      const where = `${l.host}:${l.port}`;
      const why = (e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the port is already in use' : (e as Error).message;
      if (l.explicit) throw new BrokerStartError(`Admin HTTP endpoint cannot bind ${where} (${ADMIN_LISTENER_KEY}): ${why}`);
      this.log.warn({ listener: where }, `admin HTTP endpoint (metrics, health) not started: ${why}; set ${ADMIN_LISTENER_KEY} to another host:port, or none`);
    }
  }

  private async listen(): Promise<void> {
    const listeners = this.config.listeners();
    const advertisedCfg = this.config.advertisedListeners();
    for (const l of listeners) {
      // max.connections is broker-wide and checked in accept(), not per server (maxConnections).
      const server = createServer((socket) => this.accept(socket, l.name));
      await new Promise<void>((resolveListen, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) => {
          const where = `${l.host || '0.0.0.0'}:${l.port}`;
          if (err.code === 'EADDRINUSE') reject(new BrokerStartError(`Listener ${l.name} cannot bind ${where}: the port is already in use`));
          else reject(new BrokerStartError(`Listener ${l.name} cannot bind ${where}: ${err.message}`));
        });
        server.listen({ host: l.host === '' ? undefined : l.host, port: l.port }, () => resolveListen());
      });
      server.on('error', (err) => this.log.error({ err }, 'listener error'));
      this.servers.push(server);
      const addr = server.address();
      const boundPort = typeof addr === 'object' && addr ? addr.port : l.port;
      const adv = advertisedCfg.find((a) => a.name === l.name) ?? l;
      const host = adv.host === '' || adv.host === '0.0.0.0' || adv.host === '::' ? (l.host && l.host !== '0.0.0.0' ? l.host : hostname()) : adv.host;
      this.advertised.push({ name: l.name, host, port: adv.port === 0 || adv === l ? boundPort : adv.port });
    }
  }

  /** A new socket: refused over a connection cap, else a Connection. Never throws (a listener callback). */
  private accept(socket: Socket, listener: string): void {
    // A refused socket may still report an error (a reset) after destroy(); it must not be unhandled.
    socket.on('error', () => undefined);
    try {
      if (this.stopping) {
        socket.destroy();
        return;
      }
      const ip = normalizeIp(socket.remoteAddress);
      const refused = this.quotas.tryAdd(ip);
      if (refused) {
        this.log.info({ remote: ip, listener, reason: refused }, 'connection refused');
        socket.destroy();
        return;
      }
      let conn: Connection;
      try {
        conn = new Connection(this.nextConnectionId++, socket, this, listener, this.log);
      } catch (err) {
        this.quotas.remove(ip);
        throw err;
      }
      this.connections.add(conn);
      this.metrics.connectionCreated(listener);
    } catch (err) {
      this.log.error({ err, listener }, 'accepting a connection failed');
      socket.destroy();
    }
  }

  /** Open connections per listener name (metrics). */
  connectionsByListener(): Map<string, number> {
    const out = new Map<string, number>(this.advertised.map((a) => [a.name, 0]));
    for (const c of this.connections) out.set(c.listener, (out.get(c.listener) ?? 0) + 1);
    return out;
  }

  connectionClosed(conn: Connection): void {
    if (this.connections.delete(conn)) this.quotas.remove(normalizeIp(conn.remoteAddress));
  }

  /** The advertised address for clients that connected on `listener`. */
  addressFor(listener: string): ListenerAddress {
    return this.advertised.find((a) => a.name === listener) ?? this.advertised[0]!;
  }

  apiVersionsResponse(errorCode: number): ApiVersionsResponse {
    const apiKeys = [...this.handlers.values()]
      .sort((a, b) => a.key - b.key)
      .map((h) => newApiVersionsResponseApiVersion({ apiKey: h.key, minVersion: h.minVersion, maxVersion: h.maxVersion }));
    return newApiVersionsResponse({ errorCode, apiKeys });
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
    const deadline = Date.now() + this.config.int('runnel.shutdown.timeout.ms');
    // Stop accepting connections. (A server's close callback waits until every connection has
    // ended — clients keep theirs open — so it is awaited only after we closed them below.)
    const serversClosed = this.servers.map((s) => new Promise<void>((r) => s.close(() => r())));
    // Parked JoinGroup/SyncGroup requests are answered now, so connections can drain.
    this.groups?.shutdown();
    while ([...this.connections].some((c) => !c.idle()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const c of [...this.connections]) c.close('broker shutting down');
    await Promise.all(serversClosed);
    for (const fn of this.stopHooks.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        this.log.error({ err }, 'stop hook failed');
      }
    }
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
