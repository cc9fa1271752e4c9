/**
 * Client quota entities, as Kafka names them: a combination of `user`, `client-id` and `ip`
 * components, each naming one principal / client id / address, or (name null) the default one.
 * Valid combinations are user, client-id, user + client-id, and ip alone.
 *
 * Keys: an entity's canonical string (components in a fixed order, names JSON-quoted so any
 * name is unambiguous) keys the quota store and the etcd records.
 */
import { isIP } from 'node:net';

export const USER = 'user';
export const CLIENT_ID = 'client-id';
export const IP = 'ip';
export const ENTITY_TYPES: readonly string[] = [USER, CLIENT_ID, IP];

export interface EntityComponent {
  readonly entityType: string;
  /** Null: the default entity of this type. */
  readonly entityName: string | null;
}

/** The quota keys per entity kind, with Kafka's types (ClientQuotaControlManager's validation). */
export type QuotaKeyType = 'long' | 'int' | 'double';
export const CLIENT_QUOTA_KEYS: ReadonlyMap<string, QuotaKeyType> = new Map<string, QuotaKeyType>([
  ['producer_byte_rate', 'long'],
  ['consumer_byte_rate', 'long'],
  ['request_percentage', 'double'],
  ['controller_mutation_rate', 'double'],
]);
export const IP_QUOTA_KEYS: ReadonlyMap<string, QuotaKeyType> = new Map<string, QuotaKeyType>([['connection_creation_rate', 'int']]);

const ORDER: Record<string, number> = { [USER]: 0, [CLIENT_ID]: 1, [IP]: 2 };

/** The canonical key of a (validated) entity. */
export function entityKey(components: readonly EntityComponent[]): string {
  const sorted = [...components].sort((a, b) => ORDER[a.entityType]! - ORDER[b.entityType]!);
  return sorted.map((c) => `${c.entityType}${c.entityName === null ? '' : '=' + JSON.stringify(c.entityName)}`).join('|');
}

/** Keys of the entities quota resolution looks at, built without sorting (hot path). */
export const userKey = (user: string | null): string => (user === null ? USER : `${USER}=${JSON.stringify(user)}`);
export const clientKey = (client: string | null): string => (client === null ? CLIENT_ID : `${CLIENT_ID}=${JSON.stringify(client)}`);
export const userClientKey = (user: string | null, client: string | null): string => `${userKey(user)}|${clientKey(client)}`;
export const ipKey = (ip: string | null): string => (ip === null ? IP : `${IP}=${JSON.stringify(ip)}`);

/**
 * Kafka's validation of an entity in AlterClientQuotas: null when valid, else the message
 * (INVALID_REQUEST).
 */
export function entityProblem(components: readonly EntityComponent[]): string | null {
  if (components.length === 0) return 'Invalid empty client quota entity';
  const seen = new Set<string>();
  for (const c of components) {
    if (!ENTITY_TYPES.includes(c.entityType)) return `Unhandled client quota entity type: ${c.entityType}`;
    if (seen.has(c.entityType)) return `Duplicate ${c.entityType} entity type in client quota entity`;
    if (c.entityName !== null && c.entityName === '') return `Empty ${c.entityType} entity name (use the default entity instead)`;
    // Kafka also resolves host names here; Runnel takes IP addresses only.
    if (c.entityType === IP && c.entityName !== null && isIP(c.entityName) === 0) return `${c.entityName} is not a valid IP or resolvable host.`;
    seen.add(c.entityType);
  }
  if (seen.has(IP) && seen.size > 1) return 'Invalid quota entity combination, IP quota entity cannot be combined with any other type.';
  return null;
}

export function isIpEntity(components: readonly EntityComponent[]): boolean {
  return components.some((c) => c.entityType === IP);
}
