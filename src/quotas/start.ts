/**
 * Builds the broker's quota parts (used by the composition root, src/broker.ts): the quota store
 * over its backend — the data dir file on a single node, etcd in a cluster so every broker
 * enforces the same quotas — the client quota enforcement, the connection creation rate limits,
 * and their /metrics.
 */
import type { EtcdStore } from '../cluster/etcd.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { PrometheusText } from '../admin-http/prometheus-text.js';
import { ConnectionRateLimits } from './connection-rate.js';
import type { StorageFs } from '../../storage/fs.js';
import { ClientQuotas } from './client-quotas.js';
import { QuotaEtcd } from './quota-etcd.js';
import { QuotaFile } from './quota-file.js';
import { ClientQuotaStore } from './quota-store.js';
import type { ClientQuotasPort } from './port.js';

export interface BrokerQuotas {
  readonly store: ClientQuotaStore;
  readonly clientQuotas: ClientQuotas;
  readonly connectionRate: ConnectionRateLimits;
  /** What handlers use (the store, and the Fetch size cap of consumer_byte_rate). */
  readonly port: ClientQuotasPort;
  render(w: PrometheusText, maxSeries: number): void;
  close(): Promise<void>;
}

export async function startQuotas(opts: { config: BrokerConfig; dataDir: string; stateFs: StorageFs; etcd: EtcdStore | null }): Promise<BrokerQuotas> {
  const { config, etcd } = opts;
  const backend = etcd ? new QuotaEtcd(etcd) : new QuotaFile(opts.dataDir, opts.stateFs);
  const store = new ClientQuotaStore(backend, config.int('runnel.quota.max.entities'), config.int('runnel.quota.max.entity.name.length'));
  await store.open();
  const clientQuotas = new ClientQuotas(store, config);
  // Kafka leaves the inter-broker listener out of max.connection.creation.rate (a cluster only:
  // on one node the first listener would otherwise be exempt).
  const connectionRate = new ConnectionRateLimits(config, store, etcd ? config.interBrokerListener().name : null);
  return {
    store,
    clientQuotas,
    connectionRate,
    port: {
      all: () => store.all(),
      alter: (alterations, validateOnly) => store.alter(alterations, validateOnly),
      fetchWindowBytes: (user, clientId) => clientQuotas.fetchWindowBytes(user, clientId),
    },
    render(w, maxSeries) {
      clientQuotas.render(w, maxSeries);
      connectionRate.render(w);
    },
    close: () => store.close(),
  };
}
