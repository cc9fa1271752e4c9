/**
 * Building blocks for the cluster tests: brokers as they register (a Registration on its own etcd
 * client, optionally through a TcpProxy that a test can cut), metadata images, controllers and
 * topic stores, all under one unique prefix, and all stopped by `close()`.
 */
import { silentLogger } from '../../src/logger.js';
import type { EtcdStore } from '../../src/cluster/etcd.js';
import { Controller, type ControllerOptions } from '../../src/cluster/controller.js';
import { MetadataImage } from '../../src/cluster/metadata-image.js';
import { type BrokerRegistration, decodePartitionState, partitionKey } from '../../src/cluster/records.js';
import { Registration, type RegistrationOptions } from '../../src/cluster/registration.js';
import { ClusterTopicStore } from '../../src/cluster/topic-store.js';
import { type EtcdCluster, TcpProxy, uniquePrefix } from './etcd-harness.js';

/** Short timings so that lease expiry is seen within seconds (etcd's minimum TTL here is 1 s). */
export const SESSION_MS = 2000;
export const HEARTBEAT_MS = 300;

export interface TestBroker {
  id: number;
  store: EtcdStore;
  registration: Registration;
  /** Set when the broker reaches etcd through a proxy (cut it to isolate the broker). */
  proxy: TcpProxy | null;
}

export class TestCluster {
  readonly prefix: string;
  private readonly closers: Array<() => Promise<unknown>> = [];

  constructor(
    readonly etcd: EtcdCluster,
    name: string,
  ) {
    this.prefix = uniquePrefix(name);
  }

  async store(endpoints?: string[], requestTimeoutMs = 2000): Promise<EtcdStore> {
    const s = await this.etcd.connect(this.prefix, requestTimeoutMs, endpoints);
    this.closers.push(() => s.close());
    return s;
  }

  async proxy(): Promise<TcpProxy> {
    const p = await new TcpProxy(Number(new URL(this.etcd.member.endpoint).port)).start();
    this.closers.push(() => p.close());
    return p;
  }

  /** A registered broker. `viaProxy`: its etcd connection goes through a proxy the test can cut. */
  async broker(id: number, opts: { rack?: string | null; viaProxy?: boolean; start?: boolean } & Partial<RegistrationOptions> = {}): Promise<TestBroker> {
    const proxy = opts.viaProxy ? await this.proxy() : null;
    const store = await this.store(proxy ? [proxy.endpoint] : undefined, 1000);
    const registration = new Registration(store, {
      nodeId: id,
      listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9000 + id, securityProtocol: 'PLAINTEXT' }],
      rack: opts.rack ?? null,
      sessionTimeoutMs: opts.sessionTimeoutMs ?? SESSION_MS,
      heartbeatIntervalMs: opts.heartbeatIntervalMs ?? HEARTBEAT_MS,
      log: silentLogger(),
    });
    registration.on('error', () => undefined);
    this.closers.push(() => registration.stop());
    if (opts.start !== false) await registration.start();
    return { id, store, registration, proxy };
  }

  async image(store?: EtcdStore): Promise<MetadataImage> {
    const image = await MetadataImage.load(store ?? (await this.store()), silentLogger());
    this.closers.push(() => image.close());
    return image;
  }

  async topics(store?: EtcdStore, image?: MetadataImage, maxTxnOps = 128): Promise<ClusterTopicStore> {
    const img = image ?? (await this.image(store));
    return new ClusterTopicStore(store ?? (await this.store()), { maxTxnOps, image: () => img.current() });
  }

  /** A controller for `broker`, campaigning under its registration lease. */
  async controller(broker: TestBroker, options: Partial<ControllerOptions> = {}): Promise<{ controller: Controller; image: MetadataImage }> {
    const image = await this.image(broker.store);
    const controller = new Controller({
      nodeId: broker.id,
      store: broker.store,
      image,
      log: silentLogger(),
      uncleanLeaderElection: false,
      autoLeaderRebalance: false,
      imbalanceCheckIntervalMs: 300_000,
      maxTxnOps: 128,
      ...options,
    });
    const stop = controller.follow(broker.registration);
    this.closers.push(async () => {
      stop();
      await controller.close();
    });
    return { controller, image };
  }

  /** Stops everything, newest first. */
  async close(): Promise<void> {
    for (const close of this.closers.reverse()) await close().catch(() => undefined);
    this.closers.length = 0;
  }
}

/** A partition's state as etcd has it now (read with `store`). */
export async function partitionInEtcd(store: EtcdStore, topic: string, partition: number) {
  const { kv } = await store.get(partitionKey(topic, partition));
  return kv ? { ...decodePartitionState(kv.value)!, modRevision: kv.modRevision } : null;
}

export async function brokerInEtcd(store: EtcdStore, id: number): Promise<BrokerRegistration | null> {
  const { kv } = await store.get(`brokers/${id}`);
  return kv ? (JSON.parse(kv.value.toString()) as BrokerRegistration) : null;
}
