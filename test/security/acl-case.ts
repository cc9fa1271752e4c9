/**
 * One row of the ACL matrix (acl-cases.ts, acl-cases-admin.ts) and how a row is run: what the
 * identity is given beforehand (`given`), the error Kafka answers without the ACL under test
 * (`denied`), the ACLs that make it succeed (`grants`), where the response carries the code, and
 * a snapshot of the data the request would change, which the refused request must leave as it
 * was. Listings that filter instead of failing (Metadata of all topics, ListGroups,
 * ListTransactions, DescribeCluster's authorized operations) map "not listed" to an error code.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { GroupService } from '../../src/groups/service.js';
import { type AclEnv, G, type Grant, T, TX } from './acl-env.js';

export interface MatrixCase {
  name: string;
  key: number;
  version: number;
  body: (env: AclEnv) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** ACLs held already (the steps before the one tested). */
  given?: Grant[];
  grants: Grant[];
  denied: number;
  code: (res: any) => number;
  /** What counts as success; default NONE (some APIs answer a protocol error once authorized). */
  ok?: (code: number) => boolean;
  /** A snapshot of what the request would change; equal before and after the refused request. */
  unchanged?: (env: AclEnv) => unknown;
}

const AUTH_ERRORS = new Set<number>([
  ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  ErrorCode.GROUP_AUTHORIZATION_FAILED,
  ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
]);
/** Authorized: whatever the coordinator answers next (unknown member, bad epoch ...), not an authorization error. */
export const notAuthError = (code: number) => !AUTH_ERRORS.has(code);

export const fetchBody = (replicaId: number) => () => ({
  replicaId,
  maxWaitMs: 0,
  minBytes: 0,
  maxBytes: 1 << 20,
  isolationLevel: 0,
  topics: [{ topic: T, partitions: [{ partition: 0, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
});
/** The Runnel broker (in-process snapshots; the differential test against Kafka compares codes only). */
export const rb = (env: AclEnv) => env.runnel!.broker;
/** The broker's node id (Apache Kafka's reference broker is node 1). */
export const nodeId = (env: AclEnv) => env.runnel?.broker.nodeId ?? 1;
export const committed = (env: AclEnv, group: string) => new GroupService(rb(env).groups).fetchOffsets(group, [{ topic: T, partition: 0 }], false).offsets[0]?.offset;
export const topicConfig = (env: AclEnv, topic: string) => Object.fromEntries(rb(env).topics.get(topic)!.configs);
export const listed = (found: boolean) => (found ? ErrorCode.NONE : ErrorCode.TOPIC_AUTHORIZATION_FAILED);
export const commitTopics = [{ name: T, partitions: [{ partitionIndex: 0, committedOffset: 2, committedMetadata: '' }] }];
export const txnCommitBody = () => ({ transactionalId: TX, groupId: G, producerId: 1, producerEpoch: 0, topics: commitTopics });

export interface CaseRun {
  /** The code without the ACL, and the whole response it came in. */
  refused: number;
  refusedResponse: any;
  /** The code with the ACL, and its response. */
  served: number;
  servedResponse: any;
  /** Snapshots around the refused request (Runnel only). */
  before: unknown;
  after: unknown;
}

/** One row run: the code without the ACL, the snapshots around it (Runnel only), the code with it. */
export async function runCase(env: AclEnv, c: MatrixCase): Promise<CaseRun> {
  await env.grant(c.given ?? []);
  const snapshot = () => (env.runnel !== null ? c.unchanged?.(env) : undefined);
  const before = snapshot();
  const refusedResponse = await env.request(c.key, c.version, await c.body(env));
  const after = snapshot();
  await env.grant(c.grants);
  const servedResponse = await env.request(c.key, c.version, await c.body(env));
  return { refused: c.code(refusedResponse), refusedResponse, served: c.code(servedResponse), servedResponse, before, after };
}
