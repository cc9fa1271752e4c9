/**
 * ListConfigResources (API 74) over a real socket, without Java: which resources each version and
 * type list answers, in Kafka 4.4's type order (GROUP, CLIENT_METRICS, BROKER_LOGGER, BROKER,
 * TOPIC; test/differential/configs.test.ts compares the same against Kafka), groups only while
 * they have configs, and UNSUPPORTED_VERSION for a type outside the version's set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

let broker: TestBroker;
let c: RawClient;

const list = async (version: number, resourceTypes: number[]) => {
  const r: any = await c.request(74, version, { resourceTypes });
  return { errorCode: r.errorCode as number, resources: (r.configResources as any[]).map((x) => `${version === 0 ? 16 : x.resourceType}:${x.resourceName}`) };
};
const alterGroup = async (group: string, name: string, value: string | null, op: number) =>
  (await c.request(44, 1, { resources: [{ resourceType: 32, resourceName: group, configs: [{ name, value, configOperation: op }] }], validateOnly: false })).responses[0].errorCode;

describe('ListConfigResources', () => {
  beforeAll(async () => {
    broker = await startTestBroker({ config: { 'num.partitions': 1 } });
    c = await RawClient.connect(broker.host, broker.port);
    const r = await c.request(19, 7, { topics: [{ name: 'lcr-b', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }, { name: 'lcr-a', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    expect(r.topics.map((t: any) => t.errorCode)).toEqual([0, 0]);
  });
  afterAll(async () => {
    c?.close();
    await broker?.cleanup();
  });

  it('v1: every type in Kafka\'s order; groups only while they have configs', async () => {
    expect(await alterGroup('g2', 'share.isolation.level', 'read_committed', 0)).toBe(0);
    expect(await alterGroup('g1', 'share.delivery.count.limit', '3', 0)).toBe(0);
    const all = await list(1, []);
    expect(all.errorCode).toBe(0);
    const id = (await c.request(3, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })).brokers[0].nodeId;
    expect(all.resources.filter((r) => !r.startsWith('2:__'))).toEqual(['32:g1', '32:g2', `8:${id}`, `4:${id}`, '2:lcr-a', '2:lcr-b']);
    expect(await list(1, [2, 32])).toEqual({ errorCode: 0, resources: ['32:g1', '32:g2', ...all.resources.filter((r) => r.startsWith('2:'))] });
    expect(await list(1, [16])).toEqual({ errorCode: 0, resources: [] });
    // Deleting the only override removes the resource.
    expect(await alterGroup('g2', 'share.isolation.level', null, 1)).toBe(0);
    expect(await list(1, [32])).toEqual({ errorCode: 0, resources: ['32:g1'] });
  });

  it('types outside the supported set: UNSUPPORTED_VERSION, nothing listed; v0 lists client metrics only (none)', async () => {
    for (const types of [[1], [3], [64], [2, 3], [-1]]) expect(await list(1, types), JSON.stringify(types)).toEqual({ errorCode: ErrorCode.UNSUPPORTED_VERSION, resources: [] });
    expect(await list(0, [])).toEqual({ errorCode: 0, resources: [] });
  });
});
