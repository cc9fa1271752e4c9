/**
 * Kafka's ACL model as data: bindings (resource pattern + access control entry), the filters of
 * DescribeAcls/DeleteAcls, and the codes they carry on the wire (AclOperation, ResourceType,
 * PatternType, AclPermissionType — Kafka's numbers). Pure functions only: what a binding means
 * for a request is the authorizer's (standard-authorizer.ts).
 *
 *  - A binding's resource pattern is LITERAL (the name, or `*` for every resource of the type) or
 *    PREFIXED (every name starting with it).
 *  - A principal is `Type:name` (`User:alice`, `User:*` for everyone); a host is an address or `*`.
 *  - Filters use ANY (1) for "any value" and MATCH (pattern type 2) for "every pattern that would
 *    apply to this name" (literal, wildcard, and prefixes of it), as Kafka's AclBindingFilter.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, AclResourceType } from './authorizer.js';

export const PatternType = { ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const PermissionType = { ANY: 1, DENY: 2, ALLOW: 3 } as const;
/** AclOperation.ANY and ResourceType.ANY: filter wildcards. */
export const ANY_CODE = 1;
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

export interface AclBinding {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly patternType: number;
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permissionType: number;
}

/** A DescribeAcls/DeleteAcls filter: null strings and ANY codes match everything. */
export interface AclFilter {
  readonly resourceType: number;
  readonly resourceName: string | null;
  readonly patternType: number;
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: number;
  readonly permissionType: number;
}

const RESOURCE_TYPES = new Set<number>(Object.values(AclResourceType));
const OPERATIONS = new Set<number>(Object.values(AclOperation));

/** The one key of a binding (equal bindings are one ACL). */
export function bindingKey(b: AclBinding): string {
  return `${b.resourceType}\0${b.patternType}\0${b.resourceName}\0${b.principal}\0${b.host}\0${b.operation}\0${b.permissionType}`;
}

/** Why a binding cannot be created (Kafka's checks in AclControlManager.validateNewAcl), or null. */
export function bindingProblem(b: AclBinding): { code: number; message: string } | null {
  const invalid = (message: string) => ({ code: ErrorCode.INVALID_REQUEST, message });
  if (!RESOURCE_TYPES.has(b.resourceType)) return invalid(`Invalid resourceType ${b.resourceType}`);
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return invalid(`Invalid patternType ${b.patternType}`);
  if (!OPERATIONS.has(b.operation)) return invalid(`Invalid operation ${b.operation}`);
  if (b.permissionType !== PermissionType.ALLOW && b.permissionType !== PermissionType.DENY) return invalid(`Invalid permissionType ${b.permissionType}`);
  if (b.resourceName === '') return invalid('Resource name should not be empty');
  if (b.resourceType === AclResourceType.CLUSTER && (b.resourceName !== 'kafka-cluster' || b.patternType !== PatternType.LITERAL)) {
    return invalid('The only valid name for the CLUSTER resource is kafka-cluster');
  }
  if (principalProblem(b.principal)) return invalid(`Could not parse principal from \`${b.principal}\` (no colon is present separating the principal type from name)`);
  if (b.host === '') return invalid('Host should not be empty');
  return null;
}

function principalProblem(p: string): boolean {
  const i = p.indexOf(':');
  return i <= 0 || i === p.length - 1;
}

/** Why a filter cannot be used (UNKNOWN codes, an empty pattern), or null. */
export function filterProblem(f: AclFilter): string | null {
  if (f.resourceType !== ANY_CODE && !RESOURCE_TYPES.has(f.resourceType)) return `Invalid resourceType ${f.resourceType}`;
  if (f.patternType < PatternType.ANY || f.patternType > PatternType.PREFIXED) return `Invalid patternType ${f.patternType}`;
  if (f.operation !== ANY_CODE && !OPERATIONS.has(f.operation)) return `Invalid operation ${f.operation}`;
  if (f.permissionType < PermissionType.ANY || f.permissionType > PermissionType.ALLOW) return `Invalid permissionType ${f.permissionType}`;
  if (f.principal !== null && principalProblem(f.principal)) return `Could not parse principal from \`${f.principal}\``;
  return null;
}

/** Whether the binding matches the filter (Kafka's AclBindingFilter.matches). */
export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== ANY_CODE && f.resourceType !== b.resourceType) return false;
  if (!patternMatches(f, b)) return false;
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== ANY_CODE && f.operation !== b.operation) return false;
  return f.permissionType === PermissionType.ANY || f.permissionType === b.permissionType;
}

function patternMatches(f: AclFilter, b: AclBinding): boolean {
  switch (f.patternType) {
    case PatternType.ANY:
      return f.resourceName === null || f.resourceName === b.resourceName;
    case PatternType.MATCH:
      // Every binding that would apply to the named resource.
      if (f.resourceName === null) return true;
      if (b.patternType === PatternType.LITERAL) return b.resourceName === f.resourceName || b.resourceName === WILDCARD;
      return f.resourceName.startsWith(b.resourceName);
    default:
      return f.patternType === b.patternType && (f.resourceName === null || f.resourceName === b.resourceName);
  }
}

const OPERATION_NAMES = new Map<number, string>(Object.entries(AclOperation).map(([k, v]) => [v, k]));
const RESOURCE_NAMES = new Map<number, string>(Object.entries(AclResourceType).map(([k, v]) => [v, k]));

export const operationName = (op: number): string => OPERATION_NAMES.get(op) ?? String(op);
export const resourceTypeName = (t: number): string => RESOURCE_NAMES.get(t) ?? String(t);
