/**
 * Cluster mode: what the coordinators and the replication data path need to know of the other
 * brokers, answered from the metadata image (docs/cluster.md, "Coordinators") — kept apart from
 * the composition root (broker.ts), which only hands these ports out:
 *  - where another broker's inter-broker listener is (follower fetchers, transaction markers);
 *  - who leads a partition (a transaction's markers go to each partition's leader);
 *  - who leads `_schemas`-0 and where each broker's schema registry listens (forwarded writes),
 *    and the registry URL this broker registers for the others.
 */
import type { ClusterMode } from './cluster/cluster-mode.js';
import type { ListenerAddress } from './cluster/node.js';
import { interBrokerListenerName } from './cluster/cluster-config.js';
import type { BrokerConfig } from './config/broker-config.js';
import { SCHEMAS_TOPIC } from './data/internal-topic.js';
import type { BrokerAddresses } from './replica/fetcher-manager.js';
import { imageAddresses } from './replica/replication.js';
import { interBrokerSaslCredentials } from './security/sasl/inter-broker.js';
import type { RegistryCluster } from './schema/index.js';
import { registryListener } from './schema/listener.js';
import type { MarkerRouting } from './txn/cluster-markers.js';

/** Where other brokers' inter-broker listeners are, as registered now. */
export function interBrokerAddresses(cluster: ClusterMode, config: BrokerConfig): BrokerAddresses {
  const addresses = imageAddresses(() => cluster.current(), interBrokerListenerName(config));
  // A SASL inter-broker listener: every connection to it authenticates as this broker.
  const sasl = interBrokerSaslCredentials(config);
  if (sasl === null) return addresses;
  return {
    addressOf(id) {
      const a = addresses.addressOf(id);
      return a === null ? null : { ...a, sasl };
    },
  };
}

/** Where transaction markers go: each partition's leader in the metadata image. */
export function markerRouting(cluster: ClusterMode, config: BrokerConfig): MarkerRouting {
  const addresses = interBrokerAddresses(cluster, config);
  return {
    brokerId: config.nodeId(),
    leaderOf: (topic, partition) => cluster.current().partitions.get(topic)?.get(partition)?.leader ?? -1,
    addressOf: (id) => addresses.addressOf(id),
  };
}

/** Who leads `_schemas`-0 and where each broker's registry listens (its registration). */
export function registryCluster(cluster: ClusterMode): RegistryCluster {
  return {
    schemasLeader: () => cluster.current().partitions.get(SCHEMAS_TOPIC)?.get(0)?.leader ?? -1,
    registryAddressOf: (id) => cluster.current().brokers.get(id)?.schemaRegistry ?? null,
  };
}

/**
 * The schema registry's URL as other brokers reach it (null: no REST API). Bound to a wildcard
 * address, the registry's own URL names 127.0.0.1: the advertised host of the inter-broker
 * listener goes in its place.
 */
export function registryUrlForOthers(url: string | null, config: BrokerConfig, advertised: readonly ListenerAddress[]): string | null {
  const host = registryListener(config)?.host;
  if (url === null || (host !== '0.0.0.0' && host !== '::')) return url;
  const name = interBrokerListenerName(config);
  const to = advertised.find((a) => a.name === name)?.host ?? advertised[0]?.host;
  if (to === undefined) return url;
  const u = new URL(url);
  u.hostname = to.includes(':') ? `[${to}]` : to;
  return u.origin;
}
