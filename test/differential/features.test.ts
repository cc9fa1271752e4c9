/**
 * Differential tests, feature levels: UpdateFeatures (57) answers at v0-v2 — errors, messages and
 * result lists — for updates whose outcome does not depend on which levels each side supports
 * (unknown features, bad upgrade types, negative levels, no-op upgrades, validateOnly). The
 * supported and finalized levels themselves are compared by the api-versions scenario
 * (protocol.test.ts); the levels Runnel does not serve yet are known differences there.
 */
import { describe, it } from 'vitest';
import { apacheKafkaAvailable } from '../helpers/apache-kafka.js';
import { err, expectSame, usePair } from './harness.js';
import { probe } from './requests.js';

describe.skipIf(!apacheKafkaAvailable())('differential: feature levels', () => {
  const pair = usePair();

  it('UpdateFeatures: errors and results', async () => {
    const u = (feature: string, maxVersionLevel: number, upgradeType = 1) => ({ feature, maxVersionLevel, upgradeType, allowDowngrade: false });
    const cases: Record<string, [number, object[], boolean]> = {
      unknownFeature: [1, [u('foo.version', 1)], true],
      badUpgradeType: [1, [u('group.version', 1, 9)], true],
      negativeLevel: [1, [u('transaction.version', -1, 2)], true],
      secondOfTwoBad: [1, [u('metadata.version', 33), u('foo.version', 2)], true],
      empty: [1, [], true],
      sameLevelValidateOnly: [1, [u('metadata.version', 33)], true],
      sameLevelV0: [0, [u('metadata.version', 33)], false],
      sameLevelV2: [2, [u('metadata.version', 33)], false],
      v2Error: [2, [u('foo.version', 1)], false],
    };
    const obs = await pair.both(async (t) => {
      const out: Record<string, unknown> = {};
      for (const [name, [version, featureUpdates, validateOnly]] of Object.entries(cases)) {
        const r = await probe(t.host, t.port, 57, version, { timeoutMs: 5000, featureUpdates, validateOnly });
        out[name] =
          r === 'connection closed'
            ? r
            : { errorCode: err(r.errorCode), errorMessage: r.errorMessage, results: r.results.map((x: any) => ({ feature: x.feature, errorCode: err(x.errorCode), errorMessage: x.errorMessage })) };
      }
      return out;
    });
    expectSame('update-features', obs);
  });
});
