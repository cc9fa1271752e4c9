/**
 * The authorizer port (DESIGN §5a): handlers ask it whether the connection's principal may do an
 * operation on a resource, with Kafka's ACL model (AclOperation and ResourceType codes as in
 * Kafka's protocol). There is no authentication yet, so every connection is ANONYMOUS and
 * AllowAll answers yes; ACLs (CreateAcls & co., `super.users`) will put a real authorizer here.
 */

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
} as const;
export type AclOperation = (typeof AclOperation)[keyof typeof AclOperation];

/** Kafka's ResourceType codes (of ACLs). */
export const AclResourceType = { TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export type AclResourceType = (typeof AclResourceType)[keyof typeof AclResourceType];

/** Who is asking: Kafka's KafkaPrincipal ("User:alice"), and where from. */
export interface Principal {
  readonly type: string;
  readonly name: string;
  readonly host: string;
}

export interface Resource {
  readonly type: AclResourceType;
  readonly name: string;
}

export interface Authorizer {
  /** Whether `principal` may do `operation` on `resource`. */
  authorize(principal: Principal, operation: AclOperation, resource: Resource): boolean;
}

/** Kafka's principal for unauthenticated connections. */
export const ANONYMOUS = 'ANONYMOUS';

/** No ACLs: everything is allowed (Kafka without an authorizer configured). */
export class AllowAll implements Authorizer {
  authorize(): boolean {
    return true;
  }
}
