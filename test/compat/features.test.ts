/**
 * Feature levels (src/features/) over real sockets: ApiVersions v3/v4 carry the supported ranges,
 * the finalized levels and their epoch; UpdateFeatures (57) changes them with Kafka's rules and
 * messages; Kafka 4.4's `kafka-features.sh` describes, upgrades and downgrades them; finalized
 * levels survive a restart, and a build that cannot run at the stored levels refuses to start.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, tempDir, type TestBroker } from '../helpers/broker.js';
import { ensureJavaBuilt, javaAvailable, runKafkaScript } from '../helpers/java.js';
import { RawClient } from '../helpers/raw-client.js';

async function request(b: TestBroker, key: number, version: number, body: Record<string, unknown>): Promise<any> {
  const c = await RawClient.connect(b.host, b.port);
  try {
    const r = await c.request(key, version, body);
    if (r === null) throw new Error(`connection closed on API ${key} v${version}`);
    return r;
  } finally {
    c.close();
  }
}

const apiVersions = (b: TestBroker, v: number) => request(b, 18, v, { clientSoftwareName: 'features-test', clientSoftwareVersion: '1' });
const update = (b: TestBroker, v: number, featureUpdates: object[], validateOnly = false) => request(b, 57, v, { timeoutMs: 5000, featureUpdates, validateOnly });
const byName = (list: Array<{ name: string }>) => Object.fromEntries(list.map(({ name, ...rest }) => [name, rest]));
const PREFIX = 'The update failed for all features since the following feature had an error: ';

describe('feature levels over the protocol', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({ config: { 'unstable.feature.versions.enable': true } });
  });
  afterAll(async () => {
    await broker?.cleanup();
  });

  it('ApiVersions v3 and v4 list supported and finalized features with their epoch (v3 without ranges starting at 0)', async () => {
    const v4 = await apiVersions(broker, 4);
    expect(v4.apiKeys.find((a: any) => a.apiKey === 57)).toMatchObject({ minVersion: 0, maxVersion: 2 });
    expect(byName(v4.supportedFeatures)).toEqual({
      'metadata.version': { minVersion: 33, maxVersion: 33 },
      'transaction.version': { minVersion: 0, maxVersion: 2 },
      'group.version': { minVersion: 0, maxVersion: 1 },
      'share.version': { minVersion: 0, maxVersion: 2 },
      'streams.version': { minVersion: 0, maxVersion: 0 },
      'eligible.leader.replicas.version': { minVersion: 0, maxVersion: 0 },
    });
    // A new cluster starts at the production levels (group.version 1 and share.version 2, as Kafka 4.4), not the unstable ones.
    expect(byName(v4.finalizedFeatures)).toEqual({
      'metadata.version': { maxVersionLevel: 33, minVersionLevel: 33 },
      'transaction.version': { maxVersionLevel: 2, minVersionLevel: 2 },
      'group.version': { maxVersionLevel: 1, minVersionLevel: 1 },
      'share.version': { maxVersionLevel: 2, minVersionLevel: 2 },
    });
    expect(v4.finalizedFeaturesEpoch).toBe(0);
    const v3 = await apiVersions(broker, 3);
    expect(v3.supportedFeatures.map((f: any) => f.name)).toEqual(['metadata.version']);
    expect(v3.finalizedFeatures).toEqual(v4.finalizedFeatures);
  });

  it('group.version gates the consumer group protocol: below 1, ConsumerGroupHeartbeat and ConsumerGroupDescribe are UNSUPPORTED_VERSION, as Kafka', async () => {
    const hb = () =>
      request(broker, 68, 1, { groupId: 'gv', memberId: 'm1', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30000, subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [] });
    const describe = () => request(broker, 69, 1, { groupIds: ['gv'], includeAuthorizedOperations: false });
    expect((await hb()).errorCode).toBe(ErrorCode.NONE);
    // Down to 0 (the rest of this file starts from there).
    expect((await update(broker, 1, [{ feature: 'group.version', maxVersionLevel: 0, upgradeType: 2 }])).errorCode).toBe(0);
    const refused = await hb();
    expect({ errorCode: refused.errorCode, errorMessage: refused.errorMessage }).toEqual({ errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: null });
    expect((await describe()).groups[0].errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect((await apiVersions(broker, 4)).finalizedFeaturesEpoch).toBe(1);
  });

  it("UpdateFeatures refuses bad updates with INVALID_UPDATE_VERSION and Kafka's messages, changing nothing", async () => {
    const cases: Array<[object, string]> = [
      [{ feature: 'transaction.version', maxVersionLevel: 3, upgradeType: 1 }, 'Invalid update version 3 for feature transaction.version. Local controller 1 only supports versions 0-2'],
      [{ feature: 'share.version', maxVersionLevel: 3, upgradeType: 1 }, 'Invalid update version 3 for feature share.version. Local controller 1 only supports versions 0-2'],
      [{ feature: 'foo.version', maxVersionLevel: 1, upgradeType: 1 }, 'Invalid update version 1 for feature foo.version. Local controller 1 does not support this feature.'],
      [{ feature: 'group.version', maxVersionLevel: -1, upgradeType: 2 }, 'Invalid update version -1 for feature group.version. A feature version cannot be less than 0.'],
      [{ feature: 'group.version', maxVersionLevel: 1, upgradeType: 9 }, 'Invalid update version 1 for feature group.version. The controller does not support the given upgrade type.'],
      [{ feature: 'group.version', maxVersionLevel: 1, upgradeType: 2 }, "Invalid update version 1 for feature group.version. Can't downgrade to a newer version."],
      [{ feature: 'metadata.version', maxVersionLevel: 7, upgradeType: 2 }, 'Invalid update version 7 for feature metadata.version. Local controller 1 only supports versions 33-33'],
    ];
    for (const [u, message] of cases) {
      const r = await update(broker, 1, [{ feature: 'group.version', maxVersionLevel: 1, upgradeType: 1 }, u]);
      expect({ errorCode: r.errorCode, errorMessage: r.errorMessage, results: r.results }).toEqual({ errorCode: ErrorCode.INVALID_UPDATE_VERSION, errorMessage: PREFIX + message, results: [] });
    }
    expect((await apiVersions(broker, 4)).finalizedFeaturesEpoch).toBe(1);
  });

  it('validateOnly changes nothing; an upgrade applies with a new epoch; a downgrade needs a downgrade type', async () => {
    const dry = await update(broker, 1, [{ feature: 'group.version', maxVersionLevel: 1, upgradeType: 1 }], true);
    expect(dry).toMatchObject({ errorCode: 0, errorMessage: null, results: [{ feature: 'group.version', errorCode: 0, errorMessage: 'NONE' }] });
    expect((await apiVersions(broker, 4)).finalizedFeaturesEpoch).toBe(1);

    const up = await update(broker, 2, [{ feature: 'group.version', maxVersionLevel: 1, upgradeType: 1 }]);
    expect(up).toMatchObject({ errorCode: 0, errorMessage: null, results: [] });
    const after = await apiVersions(broker, 4);
    expect(after.finalizedFeaturesEpoch).toBe(2);
    expect(byName(after.finalizedFeatures)['group.version']).toEqual({ maxVersionLevel: 1, minVersionLevel: 1 });
    expect(broker.broker.features.finalizedLevel('group.version')).toBe(1);

    // v0 has no upgrade type: a lower level is refused, as Kafka 4.4 refuses it.
    const v0 = await request(broker, 57, 0, { timeoutMs: 5000, featureUpdates: [{ feature: 'group.version', maxVersionLevel: 0, allowDowngrade: true }] });
    expect(v0.errorCode).toBe(ErrorCode.INVALID_UPDATE_VERSION);
    expect(v0.errorMessage).toContain("Can't downgrade the version of this feature without setting the upgrade type");

    const down = await update(broker, 1, [{ feature: 'group.version', maxVersionLevel: 0, upgradeType: 2 }]);
    expect(down.errorCode).toBe(0);
    const final = await apiVersions(broker, 4);
    expect(final.finalizedFeaturesEpoch).toBe(3);
    expect(byName(final.finalizedFeatures)['group.version']).toBeUndefined();
    expect(broker.broker.features.finalizedLevel('group.version')).toBe(0);
  });
});

describe('finalized levels are durable', () => {
  it('survive a restart (a level below the production one is not raised again)', async () => {
    const dataDir = tempDir();
    try {
      let b = await startTestBroker({ dataDir, keepData: true });
      expect((await update(b, 1, [{ feature: 'group.version', maxVersionLevel: 0, upgradeType: 2 }])).errorCode).toBe(0);
      await b.cleanup();
      b = await startTestBroker({ dataDir, keepData: true });
      let r = await apiVersions(b, 4);
      expect(byName(r.finalizedFeatures)['group.version']).toBeUndefined();
      expect(r.finalizedFeaturesEpoch).toBe(1);
      expect((await update(b, 1, [{ feature: 'group.version', maxVersionLevel: 1, upgradeType: 1 }])).errorCode).toBe(0);
      await b.cleanup();
      b = await startTestBroker({ dataDir, keepData: true });
      r = await apiVersions(b, 4);
      expect(byName(r.finalizedFeatures)['group.version']).toEqual({ maxVersionLevel: 1, minVersionLevel: 1 });
      expect(r.finalizedFeaturesEpoch).toBe(2);
      await b.cleanup();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!javaAvailable())("Kafka 4.4's kafka-features.sh", () => {
  let broker: TestBroker;
  beforeAll(async () => {
    await ensureJavaBuilt();
    broker = await startTestBroker({ config: { 'unstable.feature.versions.enable': true } });
  }, 300_000);
  afterAll(async () => {
    await broker?.cleanup();
  });
  const tool = (...args: string[]) => runKafkaScript('kafka-features.sh', ['--bootstrap-server', broker.bootstrap, ...args]);
  const row = (name: string, min: string, max: string, level: string, epoch: number) =>
    `Feature: ${name.padEnd(42)}SupportedMinVersion: ${min.padEnd(17)}SupportedMaxVersion: ${max.padEnd(17)}FinalizedVersionLevel: ${level.padEnd(17)}Epoch: ${epoch}`;

  it('describe, upgrade --feature transaction.version=2 (dry run first), downgrade, and their errors', async () => {
    const described = await tool('describe');
    expect(described.code).toBe(0);
    expect(described.stdout.trim().split('\n')).toEqual([
      row('eligible.leader.replicas.version', '0', '0', '0', 0),
      row('group.version', '0', '1', '1', 0),
      row('metadata.version', '4.4-IV2', '4.4-IV2', '4.4-IV2', 0),
      row('share.version', '0', '2', '2', 0),
      row('streams.version', '0', '0', '0', 0),
      row('transaction.version', '0', '2', '2', 0),
    ]);

    // A new cluster runs transaction.version 2 (as Kafka 4.x): down to 1, then up again.
    const lower = await tool('downgrade', '--feature', 'transaction.version=1');
    expect({ code: lower.code, stdout: lower.stdout.trim() }).toEqual({ code: 0, stdout: 'transaction.version was downgraded to 1.' });
    const dry = await tool('upgrade', '--feature', 'transaction.version=2', '--dry-run');
    expect({ code: dry.code, stdout: dry.stdout.trim() }).toEqual({ code: 0, stdout: 'transaction.version can be upgraded to 2.' });
    const up = await tool('upgrade', '--feature', 'transaction.version=2');
    expect({ code: up.code, stdout: up.stdout.trim() }).toEqual({ code: 0, stdout: 'transaction.version was upgraded to 2.' });
    expect(broker.broker.features.finalizedLevel('transaction.version')).toBe(2);
    expect((await tool('describe')).stdout).toContain(row('transaction.version', '0', '2', '2', 2));

    const tooHigh = await tool('upgrade', '--feature', 'transaction.version=3');
    expect(tooHigh.code).toBe(1);
    expect(tooHigh.stdout.trim().split('\n')[0]).toBe(
      `Could not upgrade transaction.version to 3. ${PREFIX}Invalid update version 3 for feature transaction.version. Local controller 1 only supports versions 0-2`,
    );

    const down = await tool('downgrade', '--feature', 'transaction.version=1');
    expect({ code: down.code, stdout: down.stdout.trim() }).toEqual({ code: 0, stdout: 'transaction.version was downgraded to 1.' });
    expect(broker.broker.features.finalizedLevel('transaction.version')).toBe(1);
  }, 180_000);
});
