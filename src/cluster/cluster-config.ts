/**
 * The cluster-mode settings of a broker's configuration (docs/cluster.md, "Configuration"), read in
 * one place so the broker can build its etcd client, registration and controller from them.
 * Null in single-node mode (no runnel.etcd.endpoints): nothing of the cluster is created then.
 */
import type { Socket } from 'node:net';
import type { BrokerConfig } from '../config/broker-config.js';
import { registrationListeners } from './registration.js';

export interface ClusterSettings {
  endpoints: string[];
  /** runnel.etcd.prefix */
  prefix: string;
  /** runnel.etcd.request.timeout.ms */
  requestTimeoutMs: number;
  /** runnel.etcd.max.txn.ops */
  maxTxnOps: number;
  nodeId: number;
  /** broker.rack */
  rack: string | null;
  /** broker.session.timeout.ms */
  sessionTimeoutMs: number;
  /** broker.heartbeat.interval.ms */
  heartbeatIntervalMs: number;
  /** unclean.leader.election.enable (static; topic overrides and the dynamic default win) */
  uncleanLeaderElection: boolean;
  /** auto.leader.rebalance.enable */
  autoLeaderRebalance: boolean;
  /** leader.imbalance.check.interval.seconds, in ms */
  imbalanceCheckIntervalMs: number;
  /** controlled.shutdown.enable */
  controlledShutdown: boolean;
  /** runnel.broker.liveness.probe.enable (liveness-monitor.ts) */
  livenessProbe: boolean;
  /** The listener other brokers are reached on: inter.broker.listener.name, else the first advertised one. */
  interBrokerListener: string | null;
  /**
   * How the liveness probe connects to that listener; absent: plain TCP. A TLS inter-broker
   * listener gets a TLS connection (the broker wires it: src/security/broker-tls.ts), else the
   * listener would close the probe's silent socket at its handshake timeout, again and again.
   */
  probeConnect?: (host: string, port: number) => Socket;
  /**
   * What the liveness probe says on each connection it opens: on a SASL inter-broker listener it
   * logs in as this broker (the broker wires it: broker-security.ts), so that the listener's
   * runnel.sasl.authentication.timeout.ms does not close the idle connection, again and again.
   */
  probeGreet?: (socket: Socket, host: string, port: number) => Promise<void>;
}

/** The listener other brokers are reached on: inter.broker.listener.name (or security.inter.broker.protocol), else the first listener. */
export function interBrokerListenerName(config: BrokerConfig): string | null {
  return config.interBrokerListenerName() ?? registrationListeners(config)[0]?.name ?? null;
}

export function clusterSettings(config: BrokerConfig): ClusterSettings | null {
  if (!config.clusterMode()) return null;
  return {
    endpoints: config.list('runnel.etcd.endpoints'),
    prefix: config.string('runnel.etcd.prefix') ?? 'runnel',
    requestTimeoutMs: config.int('runnel.etcd.request.timeout.ms'),
    maxTxnOps: config.int('runnel.etcd.max.txn.ops'),
    nodeId: config.nodeId(),
    rack: config.string('broker.rack'),
    sessionTimeoutMs: config.int('broker.session.timeout.ms'),
    heartbeatIntervalMs: config.int('broker.heartbeat.interval.ms'),
    uncleanLeaderElection: config.bool('unclean.leader.election.enable'),
    autoLeaderRebalance: config.bool('auto.leader.rebalance.enable'),
    imbalanceCheckIntervalMs: config.int('leader.imbalance.check.interval.seconds') * 1000,
    controlledShutdown: config.bool('controlled.shutdown.enable'),
    livenessProbe: config.bool('runnel.broker.liveness.probe.enable'),
    interBrokerListener: interBrokerListenerName(config),
  };
}
