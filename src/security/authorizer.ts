/**
 * The authorizer port (DESIGN §5a): handlers ask it whether the connection's principal may do an
 * operation on a resource, with Kafka's ACL model (AclOperation and ResourceType codes as in
 * Kafka's protocol). Two implementations: AllowAll below (no `authorizer.class.name`: everything
 * is allowed, ACL APIs answer SECURITY_DISABLED, as Kafka without an authorizer), and
 * StandardAuthorizer (standard-authorizer.ts: Kafka's StandardAuthorizer semantics over stored ACLs).
 *
 * The principal comes from the connection (`conn.principal`): User:ANONYMOUS until an
 * authentication mechanism (SASL, mTLS) sets another; the authorizer never cares which one did.
 */
import type { AclAdmin } from './acl-admin.js';

/** Kafka's AclOperation codes. */
export const AclOperation = {
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
export type AclOperation = (typeof AclOperation)[keyof typeof AclOperation];

/** Kafka's ResourceType codes (of ACLs). */
export const AclResourceType = { TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export type AclResourceType = (typeof AclResourceType)[keyof typeof AclResourceType];

/** The one name of the CLUSTER resource, as Kafka's. */
export const CLUSTER_NAME = 'kafka-cluster';
export const CLUSTER_RESOURCE: Resource = Object.freeze({ type: AclResourceType.CLUSTER, name: CLUSTER_NAME });

/**
 * Who is asking: Kafka's KafkaPrincipal ("User:alice"), and where from. Immutable: a connection
 * whose identity changes (SASL re-authentication) gets a new object — the authorizer caches its
 * decisions per principal object.
 */
export interface Principal {
  readonly type: string;
  readonly name: string;
  readonly host: string;
}

export interface Resource {
  readonly type: AclResourceType;
  readonly name: string;
}

/** Kafka's operations that apply to each resource type (AclEntry.supportedOperations), as a bit set of the codes. */
const bits = (...ops: number[]): number => ops.reduce((m, op) => m | (1 << op), 0);
const O = AclOperation;
export const SUPPORTED_OPERATIONS: Readonly<Record<number, number>> = {
  [AclResourceType.TOPIC]: bits(O.READ, O.WRITE, O.CREATE, O.DESCRIBE, O.DELETE, O.ALTER, O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS),
  [AclResourceType.GROUP]: bits(O.READ, O.DESCRIBE, O.DELETE),
  [AclResourceType.CLUSTER]: bits(O.CREATE, O.CLUSTER_ACTION, O.DESCRIBE_CONFIGS, O.ALTER_CONFIGS, O.IDEMPOTENT_WRITE, O.ALTER, O.DESCRIBE),
  [AclResourceType.TRANSACTIONAL_ID]: bits(O.DESCRIBE, O.WRITE),
  [AclResourceType.DELEGATION_TOKEN]: bits(O.DESCRIBE),
  [AclResourceType.USER]: bits(O.CREATE_TOKENS, O.DESCRIBE_TOKENS),
};

export interface Authorizer {
  /** False without an authorizer: handlers skip their filtering work (the default path costs nothing). */
  readonly enabled: boolean;
  /**
   * Whether `principal` may do `operation` on `resource`. `logIfDenied` false for checks that only
   * filter what is listed (Metadata of all topics, ListGroups), which Kafka does not audit.
   */
  authorize(principal: Principal, operation: AclOperation, resource: Resource, logIfDenied?: boolean): boolean;
  /** Kafka's authorized-operations field: the bit set (1 << code) of the operations allowed on `resource`. */
  authorizedOperations(principal: Principal, resource: Resource): number;
  /** Kafka's authorizeByResourceType (KIP-679): whether `operation` is allowed on some resource of the type. */
  authorizeAny(principal: Principal, operation: AclOperation, type: AclResourceType): boolean;
  /** Managing ACLs (CreateAcls & co.); null without an authorizer (SECURITY_DISABLED). */
  readonly acls: AclAdmin | null;
}

/** Kafka's principal for unauthenticated connections. */
export const ANONYMOUS = 'ANONYMOUS';

/** No ACLs: everything is allowed (Kafka without an authorizer configured). */
export class AllowAll implements Authorizer {
  readonly enabled = false;
  readonly acls = null;
  authorize(): boolean {
    return true;
  }
  authorizedOperations(_principal: Principal, resource: Resource): number {
    return SUPPORTED_OPERATIONS[resource.type] ?? 0;
  }
  authorizeAny(): boolean {
    return true;
  }
}

/** `Type:name`, as ACLs and super.users name principals. */
export function principalString(p: Principal): string {
  return `${p.type}:${p.name}`;
}
