/**
 * Feature levels in a Runnel cluster: the finalized levels live in etcd (key `features`, read
 * through the metadata image), so every broker answers ApiVersions with the same levels and the
 * same epoch; an update through one broker shows on the others and survives restarts; an update
 * that a registered broker's build does not support is refused naming that broker, as Kafka's
 * controller refuses it. Build first (the brokers run from dist/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdMissing } from './etcd-harness.js';
import { startRunnelCluster, type RunnelCluster } from './cluster-harness.js';
import { connectBroker, waitUntil } from '../helpers/cluster-target.js';
import { RawClient } from '../helpers/raw-client.js';
import { ErrorCode } from '../../protocol/errors.js';

async function ask(cluster: RunnelCluster, id: number, key: number, version: number, body: object): Promise<any> {
  const c = await connectBroker(cluster, id);
  try {
    return await c.request(key, version, body as Record<string, unknown>);
  } finally {
    c.close();
  }
}

const features = async (cluster: RunnelCluster, id: number) => {
  const r = await ask(cluster, id, 18, 4, { clientSoftwareName: 'features', clientSoftwareVersion: '1' });
  return { epoch: r.finalizedFeaturesEpoch as number, levels: Object.fromEntries(r.finalizedFeatures.map((f: any) => [f.name, f.maxVersionLevel])) };
};
const upgrade = (cluster: RunnelCluster, id: number, feature: string, level: number, upgradeType = 1) =>
  ask(cluster, id, 57, 1, { timeoutMs: 5000, featureUpdates: [{ feature, maxVersionLevel: level, upgradeType }], validateOnly: false });

describe.skipIf(etcdMissing)('feature levels across a cluster (etcd)', () => {
  let cluster: RunnelCluster;
  beforeAll(async () => {
    cluster = await startRunnelCluster({ brokers: 2, props: { 'unstable.feature.versions.enable': true } });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('every broker answers the same levels and epoch; an update through one shows on the other and survives a restart', async () => {
    const [one, two] = [await features(cluster, 1), await features(cluster, 2)];
    expect(one.levels).toEqual({ 'metadata.version': 33 });
    expect(one.epoch).toBeGreaterThan(0);
    expect(two).toEqual(one);

    expect((await upgrade(cluster, 1, 'group.version', 1)).errorCode).toBe(ErrorCode.NONE);
    const after = await features(cluster, 1);
    expect(after.levels).toEqual({ 'metadata.version': 33, 'group.version': 1 });
    expect(after.epoch).toBeGreaterThan(one.epoch);
    await waitUntil('broker 2 has the new levels', async () => ((await features(cluster, 2)).epoch === after.epoch ? true : undefined), 10_000);
    expect(await features(cluster, 2)).toEqual(after);

    await cluster.killBroker(2);
    await cluster.startBroker(2);
    expect(await features(cluster, 2)).toEqual(after);
  }, 120_000);

  it("an update a registered broker's build does not support is refused, naming the broker", async () => {
    // A build without the unstable levels (group.version 0 only) cannot join while group.version is 1.
    const stable = { 'unstable.feature.versions.enable': false };
    await expect(cluster.spawnExtra(3, stable)).rejects.toThrow(/the cluster's finalized group.version level 1 is not supported by this Runnel build \(supported: 0-0\)/);
    expect((await upgrade(cluster, 1, 'group.version', 0, 2)).errorCode).toBe(ErrorCode.NONE);
    const extra = await cluster.spawnExtra(3, stable);
    try {
      await waitUntil('broker 3 is registered', async () => {
        const c = await RawClient.connect(extra.host, extra.port);
        try {
          const m = await c.request(3, 12, { topics: null, allowAutoTopicCreation: false });
          return m?.brokers.length === 3 ? true : undefined;
        } finally {
          c.close();
        }
      }, 20_000);
      const r = await upgrade(cluster, 1, 'transaction.version', 2);
      expect(r.errorCode).toBe(ErrorCode.INVALID_UPDATE_VERSION);
      expect(r.errorMessage).toBe(
        'The update failed for all features since the following feature had an error: Invalid update version 2 for feature transaction.version. Broker 3 does not support this feature.',
      );
    } finally {
      await extra.kill('SIGKILL');
    }
  }, 120_000);
});
