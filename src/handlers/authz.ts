/**
 * The authorization checks handlers make, by resource type, through the authorizer port
 * (security/authorizer.ts). Without an authorizer (`enabled` false) each is one property read and
 * allocates nothing, so the default path costs nothing measurable. Handlers ask once per resource
 * per request (never per partition or record) and answer with Kafka's error code for the type.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { AclAdmin } from '../security/acl-admin.js';
import { AclOperation, AclResourceType, CLUSTER_RESOURCE } from '../security/authorizer.js';
import type { RequestContext } from './types.js';

type Ctx = Pick<RequestContext, 'authorizer' | 'conn'>;

export { AclOperation };

export function canTopic(ctx: Ctx, op: AclOperation, name: string, logIfDenied = true): boolean {
  return !ctx.authorizer.enabled || ctx.authorizer.authorize(ctx.conn.principal, op, { type: AclResourceType.TOPIC, name }, logIfDenied);
}

export function canGroup(ctx: Ctx, op: AclOperation, name: string, logIfDenied = true): boolean {
  return !ctx.authorizer.enabled || ctx.authorizer.authorize(ctx.conn.principal, op, { type: AclResourceType.GROUP, name }, logIfDenied);
}

export function canTransactionalId(ctx: Ctx, op: AclOperation, name: string, logIfDenied = true): boolean {
  return !ctx.authorizer.enabled || ctx.authorizer.authorize(ctx.conn.principal, op, { type: AclResourceType.TRANSACTIONAL_ID, name }, logIfDenied);
}

export function canCluster(ctx: Ctx, op: AclOperation, logIfDenied = true): boolean {
  return !ctx.authorizer.enabled || ctx.authorizer.authorize(ctx.conn.principal, op, CLUSTER_RESOURCE, logIfDenied);
}

/** A topic decision per topic name, asked once however many partitions name it. */
export function topicDecisions(ctx: Ctx, op: AclOperation): (name: string) => boolean {
  if (!ctx.authorizer.enabled) return () => true;
  const seen = new Map<string, boolean>();
  return (name) => {
    let ok = seen.get(name);
    if (ok === undefined) seen.set(name, (ok = canTopic(ctx, op, name)));
    return ok;
  };
}

/** Kafka's authorized-operations field for a resource. */
export function authorizedOperations(ctx: Ctx, type: AclResourceType, name: string): number {
  return ctx.authorizer.authorizedOperations(ctx.conn.principal, { type, name });
}

/** Kafka's message for the ACL APIs without an authorizer (SecurityDisabledException). */
export const NO_AUTHORIZER = 'No Authorizer is configured.';
export const CLUSTER_AUTH_MESSAGE = 'Cluster authorization failed.';

/** Kafka's default messages of the authorization errors (Errors.X.message()). */
export function authorizationMessage(code: number): string {
  if (code === ErrorCode.TOPIC_AUTHORIZATION_FAILED) return 'Topic authorization failed.';
  if (code === ErrorCode.GROUP_AUTHORIZATION_FAILED) return 'Group authorization failed.';
  if (code === ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED) return 'Transactional Id authorization failed.';
  return CLUSTER_AUTH_MESSAGE;
}

/** Kafka's config resource types (DescribeConfigs & co.). */
const CONFIG_TOPIC = 2;
const CONFIG_GROUP = 32;

/**
 * DescribeConfigs/AlterConfigs/IncrementalAlterConfigs on one config resource (Kafka's rules):
 * topics need `op` on the topic (TOPIC_AUTHORIZATION_FAILED), groups on the group
 * (GROUP_AUTHORIZATION_FAILED), brokers, broker loggers and client metrics on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED). Returns 0 when allowed.
 */
export function configResourceError(ctx: Ctx, resourceType: number, name: string, op: AclOperation): number {
  if (!ctx.authorizer.enabled) return 0;
  if (resourceType === CONFIG_TOPIC) return canTopic(ctx, op, name) ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  if (resourceType === CONFIG_GROUP) return canGroup(ctx, op, name) ? 0 : ErrorCode.GROUP_AUTHORIZATION_FAILED;
  return canCluster(ctx, op) ? 0 : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
}

/**
 * CreateAcls and DeleteAcls: the ACL store to change, or why not — no authorizer
 * (SECURITY_DISABLED with Kafka's message) or no ALTER on the cluster (Kafka's check for both).
 */
export function aclsToChange(ctx: Ctx): { acls: AclAdmin } | { code: number; message: string } {
  const acls = ctx.authorizer.acls;
  if (acls === null) return { code: ErrorCode.SECURITY_DISABLED, message: NO_AUTHORIZER };
  if (!canCluster(ctx, AclOperation.ALTER)) return { code: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, message: CLUSTER_AUTH_MESSAGE };
  return { acls };
}

/**
 * AlterConfigs and IncrementalAlterConfigs, one resource: refused without ALTER_CONFIGS on it
 * (configResourceError), else `alter` runs and a KafkaError it throws becomes the resource's error.
 */
export async function alterConfigsOutcome(ctx: Ctx, resourceType: number, name: string, alter: () => Promise<unknown>): Promise<{ errorCode: number; errorMessage: string | null }> {
  const refused = configResourceError(ctx, resourceType, name, AclOperation.ALTER_CONFIGS);
  if (refused !== 0) return { errorCode: refused, errorMessage: authorizationMessage(refused) };
  try {
    await alter();
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (err) {
    if (!(err instanceof KafkaError)) throw err;
    return { errorCode: err.code, errorMessage: err.message };
  }
}
