/**
 * Cluster-mode settings (src/cluster/cluster-config.ts: none without runnel.etcd.endpoints) and
 * the node port answered from the metadata image (src/cluster/cluster-node.ts).
 */
import { describe, expect, it } from 'vitest';
import { BrokerConfig, optionsLayer } from '../../../src/config/broker-config.js';
import { clusterSettings } from '../../../src/cluster/cluster-config.js';
import { ClusterNode } from '../../../src/cluster/cluster-node.js';
import { type BrokerImage, type ClusterImage, EMPTY_IMAGE } from '../../../src/cluster/metadata-image.js';

const broker = (id: number, listeners: Array<[string, number]>, rack: string | null = null): BrokerImage => ({
  id, rack, incarnation: String(100 + id), shuttingDown: false, modRevision: 1,
  listeners: listeners.map(([name, port]) => ({ name, host: `h${id}`, port, securityProtocol: 'PLAINTEXT' })),
});

describe('clusterSettings', () => {
  it('is null for a single broker, and reads every cluster key otherwise', () => {
    expect(clusterSettings(new BrokerConfig([optionsLayer({})]))).toBeNull();
    const s = clusterSettings(new BrokerConfig([optionsLayer({ 'runnel.etcd.endpoints': 'http://127.0.0.1:2379,127.0.0.1:2380', 'node.id': 4, 'broker.rack': 'r1' })]));
    expect(s).toEqual({
      endpoints: ['http://127.0.0.1:2379', '127.0.0.1:2380'],
      prefix: 'runnel',
      requestTimeoutMs: 5000,
      maxTxnOps: 128,
      nodeId: 4,
      rack: 'r1',
      sessionTimeoutMs: 9000,
      heartbeatIntervalMs: 2000,
      uncleanLeaderElection: false,
      autoLeaderRebalance: true,
      imbalanceCheckIntervalMs: 300_000,
      controlledShutdown: true,
      livenessProbe: true,
      interBrokerListener: 'PLAINTEXT',
    });
  });
});

describe('ClusterNode', () => {
  it('lists the registered brokers that have the listener, with the cluster id and controller from the image', () => {
    const image: ClusterImage = {
      ...EMPTY_IMAGE,
      clusterId: 'c1',
      controllerId: 3,
      brokers: new Map([
        [3, broker(3, [['PLAINTEXT', 9093], ['INTERNAL', 19093]], 'b')],
        [1, broker(1, [['PLAINTEXT', 9091]], 'a')],
        [2, broker(2, [['INTERNAL', 19092]])],
      ]),
    };
    const node = new ClusterNode(1, () => image, () => [{ name: 'PLAINTEXT', host: 'h1', port: 9091 }]);
    expect(node.clusterId).toBe('c1');
    expect(node.controllerId).toBe(3);
    expect(node.brokers('PLAINTEXT')).toEqual([
      { nodeId: 1, host: 'h1', port: 9091, rack: 'a' },
      { nodeId: 3, host: 'h3', port: 9093, rack: 'b' },
    ]);
    expect(node.brokers('INTERNAL').map((b) => b.nodeId)).toEqual([2, 3]);
  });

  it('before this broker is registered it still lists itself where clients reach it; no controller is -1', () => {
    const node = new ClusterNode(5, () => EMPTY_IMAGE, () => [{ name: 'PLAINTEXT', host: 'me', port: 9095 }]);
    expect(node.clusterId).toBe('');
    expect(node.controllerId).toBe(-1);
    expect(node.brokers('PLAINTEXT')).toEqual([{ nodeId: 5, host: 'me', port: 9095, rack: null }]);
  });
});
