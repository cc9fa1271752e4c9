/**
 * Feature levels in a Runnel cluster: the finalized levels live in etcd (key `features`, read
 * through the metadata image), so every broker answers ApiVersions with the same levels and the
 * same epoch; an update through one broker shows on the others and survives restarts. (An update
 * that a registered broker's build does not support is refused naming that broker, as Kafka's
 * controller refuses it: test/unit/features/update.test.ts — since group.version 1 became a
 * production level no feature has a level only some builds support, so a cluster cannot show it.)
 * Build first (the brokers run from dist/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdMissing } from './etcd-harness.js';
import { startRunnelCluster, type RunnelCluster } from './cluster-harness.js';
import { connectBroker, waitUntil } from '../helpers/cluster-target.js';
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
    expect(one.levels).toEqual({ 'metadata.version': 33, 'transaction.version': 2, 'group.version': 1, 'share.version': 2 });
    expect(one.epoch).toBeGreaterThan(0);
    expect(two).toEqual(one);

    expect((await upgrade(cluster, 1, 'group.version', 0, 2)).errorCode).toBe(ErrorCode.NONE);
    const after = await features(cluster, 1);
    expect(after.levels).toEqual({ 'metadata.version': 33, 'transaction.version': 2, 'share.version': 2 });
    expect(after.epoch).toBeGreaterThan(one.epoch);
    await waitUntil('broker 2 has the new levels', async () => ((await features(cluster, 2)).epoch === after.epoch ? true : undefined), 10_000);
    expect(await features(cluster, 2)).toEqual(after);

    await cluster.killBroker(2);
    await cluster.startBroker(2);
    expect(await features(cluster, 2)).toEqual(after);
  }, 120_000);
});
