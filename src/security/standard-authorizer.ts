/**
 * Kafka's StandardAuthorizer semantics (`authorizer.class.name=
 * org.apache.kafka.metadata.authorizer.StandardAuthorizer`) over the ACLs in an AclStore.
 *
 * A decision for (principal, host, operation, resource):
 *  1. a super user (`super.users`, `User:alice;User:bob`) may do everything;
 *  2. the ACLs that apply are those on the resource's literal name, on the literal wildcard `*`,
 *     and on every prefix of the name (PREFIXED), whose principal is the principal or `User:*`
 *     and whose host is the host or `*`;
 *  3. a DENY for the operation (or ALL) wins over any ALLOW;
 *  4. an ALLOW for the operation (or ALL) allows; READ, WRITE, DELETE and ALTER imply DESCRIBE,
 *     ALTER_CONFIGS implies DESCRIBE_CONFIGS (allow only: a DENY never implies);
 *  5. no ACL on the resource at all (for anyone): `allow.everyone.if.no.acl.found` decides
 *     (default false); otherwise denied.
 *
 * Cost: one pass over the resource's ACLs yields the whole allowed-operations bit set, which is
 * cached per connection principal and resource until the ACLs change (bounded by
 * runnel.authorizer.cache.max.entries; full → dropped). Handlers ask once per topic/group per
 * request, never per record, so an authorized produce or fetch costs two Map reads per topic.
 *
 * Denials are audited (denial-audit.ts) unless the check only filters a listing.
 */
import type { Logger } from '../logger.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { AclAdmin, AclError, DeleteResult } from './acl-admin.js';
import { type AclBinding, type AclFilter, bindingKey, bindingProblem, filterMatches, filterProblem, PatternType, PermissionType, WILDCARD, WILDCARD_PRINCIPAL } from './acl-model.js';
import type { AclStore } from './acl-store.js';
import { AclOperation, type AclResourceType, type Authorizer, type Principal, principalString, type Resource, SUPPORTED_OPERATIONS } from './authorizer.js';
import type { DenialAudit } from './denial-audit.js';

/** Kafka's class names that turn the authorizer on (KRaft's, and the ZooKeeper-era one, same semantics here). */
export const STANDARD_AUTHORIZER_CLASSES = ['org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'kafka.security.authorizer.AclAuthorizer'];

const ALL_BITS = 0x7ffffffc; // every operation code from 2 up
const DESCRIBE_BIT = 1 << AclOperation.DESCRIBE;
const DESCRIBE_CONFIGS_BIT = 1 << AclOperation.DESCRIBE_CONFIGS;
const IMPLIES_DESCRIBE = (1 << AclOperation.READ) | (1 << AclOperation.WRITE) | (1 << AclOperation.DELETE) | (1 << AclOperation.ALTER);

export interface StandardAuthorizerOptions {
  store: AclStore;
  /** `super.users`: principals as `Type:name`, `;`-separated. */
  superUsers: string;
  allowEveryoneIfNoAclFound: boolean;
  maxAcls: number;
  cacheMaxEntries: number;
  audit: DenialAudit;
  log: Logger;
}

/** The ACLs of one resource type, indexed for lookups by name. */
interface TypeIndex {
  literal: Map<string, AclBinding[]>;
  prefixed: AclBinding[];
}

export function parseSuperUsers(value: string | null): Set<string> {
  return new Set(
    (value ?? '')
      .split(';')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );
}

export class StandardAuthorizer implements Authorizer, AclAdmin {
  readonly enabled = true;
  readonly acls: AclAdmin = this;
  private readonly superUsers: Set<string>;
  private bindings = new Map<string, AclBinding>();
  private index = new Map<number, TypeIndex>();
  /**
   * Allowed-operation bit sets per principal object (one per connection; Principal is immutable),
   * then per resource type and name: a cached decision is two Map reads with no key built.
   * Replaced on every ACL change and when it holds cacheMaxEntries decisions.
   */
  private cache = new WeakMap<Principal, Map<string, number>[]>();
  private cached = 0;

  private constructor(private readonly o: StandardAuthorizerOptions) {
    this.superUsers = parseSuperUsers(o.superUsers);
  }

  static async open(o: StandardAuthorizerOptions): Promise<StandardAuthorizer> {
    const a = new StandardAuthorizer(o);
    a.replace(await o.store.load());
    // Cluster: another broker's change arrives here (every broker sees it).
    o.store.onChange?.((acls) => a.replace(acls));
    return a;
  }

  get size(): number {
    return this.bindings.size;
  }

  // ---- decisions ------------------------------------------------------------------------------

  authorize(principal: Principal, operation: AclOperation, resource: Resource, logIfDenied = true): boolean {
    if ((this.allowedBits(principal, resource) & (1 << operation)) !== 0) return true;
    if (logIfDenied) this.o.audit.denied(principal, operation, resource);
    return false;
  }

  authorizedOperations(principal: Principal, resource: Resource): number {
    return this.allowedBits(principal, resource) & (SUPPORTED_OPERATIONS[resource.type] ?? 0);
  }

  authorizeAny(principal: Principal, operation: AclOperation, type: AclResourceType): boolean {
    const who = principalString(principal);
    if (this.superUsers.has(who)) return true;
    const idx = this.index.get(type);
    if (!idx) return false;
    const denyLiteral = new Set<string>();
    const denyPrefixes: string[] = [];
    const allows: AclBinding[] = [];
    const consider = (b: AclBinding): boolean => {
      if (!appliesTo(b, who, principal.host) || (b.operation !== operation && b.operation !== AclOperation.ALL)) return false;
      if (b.permissionType === PermissionType.DENY) {
        if (b.patternType === PatternType.LITERAL && b.resourceName === WILDCARD) return true; // denied everywhere
        if (b.patternType === PatternType.LITERAL) denyLiteral.add(b.resourceName);
        else denyPrefixes.push(b.resourceName);
      } else allows.push(b);
      return false;
    };
    for (const list of idx.literal.values()) for (const b of list) if (consider(b)) return false;
    for (const b of idx.prefixed) if (consider(b)) return false;
    const prefixDenied = (name: string) => denyPrefixes.some((p) => name.startsWith(p));
    for (const b of allows) {
      if (b.patternType === PatternType.LITERAL && b.resourceName === WILDCARD) return true;
      if (b.patternType === PatternType.LITERAL && denyLiteral.has(b.resourceName)) continue;
      if (!prefixDenied(b.resourceName)) return true;
    }
    return false;
  }

  /** Every operation allowed on the resource, implied ones included (cached). */
  private allowedBits(principal: Principal, resource: Resource): number {
    let byType = this.cache.get(principal);
    if (byType === undefined) this.cache.set(principal, (byType = []));
    let byName = byType[resource.type];
    if (byName === undefined) byType[resource.type] = byName = new Map();
    const hit = byName.get(resource.name);
    if (hit !== undefined) return hit;
    const result = this.compute(principal, resource);
    if (++this.cached > this.o.cacheMaxEntries) {
      this.cache = new WeakMap();
      this.cached = 0;
    } else byName.set(resource.name, result);
    return result;
  }

  private compute(principal: Principal, resource: Resource): number {
    const who = principalString(principal);
    if (this.superUsers.has(who)) return ALL_BITS;
    const idx = this.index.get(resource.type);
    let any = false;
    let allowed = 0;
    let denied = 0;
    const visit = (list: readonly AclBinding[] | undefined): void => {
      if (list === undefined) return;
      for (const b of list) {
        any = true;
        if (!appliesTo(b, who, principal.host)) continue;
        if (b.permissionType === PermissionType.DENY) denied |= b.operation === AclOperation.ALL ? ALL_BITS : 1 << b.operation;
        else allowed |= b.operation === AclOperation.ALL ? ALL_BITS : impliedBits(b.operation);
      }
    };
    if (idx) {
      visit(idx.literal.get(resource.name));
      if (resource.name !== WILDCARD) visit(idx.literal.get(WILDCARD));
      for (const b of idx.prefixed) if (resource.name.startsWith(b.resourceName)) visit([b]);
    }
    if (!any) return this.o.allowEveryoneIfNoAclFound ? ALL_BITS : 0;
    return allowed & ~denied;
  }

  // ---- ACL management (AclAdmin) --------------------------------------------------------------

  async create(bindings: readonly AclBinding[]): Promise<(AclError | null)[]> {
    const results: (AclError | null)[] = bindings.map((b) => bindingProblem(b));
    const wanted = bindings.filter((_, i) => results[i] === null);
    if (wanted.length === 0) return results;
    let overLimit = false;
    try {
      const next = await this.o.store.update((current) => {
        const map = new Map(current.map((b) => [bindingKey(b), b]));
        for (const b of wanted) map.set(bindingKey(b), b);
        overLimit = map.size > this.o.maxAcls;
        return overLimit ? null : [...map.values()];
      });
      this.replace(next);
    } catch (err) {
      this.o.log.error({ err: (err as Error).message }, 'could not store ACLs');
      const failure = storeFailure(err);
      return results.map((r) => r ?? failure);
    }
    if (overLimit) {
      const refused = { code: ErrorCode.POLICY_VIOLATION, message: `Creating these ACLs would exceed runnel.authorizer.max.acls (${this.o.maxAcls})` };
      return results.map((r) => r ?? refused);
    }
    return results;
  }

  async delete(filters: readonly AclFilter[]): Promise<DeleteResult[]> {
    const problems = filters.map((f) => filterProblem(f));
    const deleted: AclBinding[][] = filters.map(() => []);
    try {
      const next = await this.o.store.update((current) => {
        for (const d of deleted) d.length = 0;
        const kept: AclBinding[] = [];
        for (const b of current) {
          let removed = false;
          filters.forEach((f, i) => {
            if (problems[i] === null && filterMatches(f, b)) {
              deleted[i]!.push(b);
              removed = true;
            }
          });
          if (!removed) kept.push(b);
        }
        return kept.length === current.length ? null : kept;
      });
      this.replace(next);
    } catch (err) {
      this.o.log.error({ err: (err as Error).message }, 'could not store ACLs');
      const error = storeFailure(err);
      return filters.map(() => ({ error, deleted: [] }));
    }
    return filters.map((_, i) => ({ error: problems[i] === null ? null : { code: ErrorCode.INVALID_REQUEST, message: problems[i]! }, deleted: deleted[i]! }));
  }

  describe(filter: AclFilter): AclBinding[] {
    const out: AclBinding[] = [];
    for (const b of this.bindings.values()) if (filterMatches(filter, b)) out.push(b);
    return out;
  }

  /** Makes `acls` the set in force (after a write here, or another broker's). */
  private replace(acls: readonly AclBinding[]): void {
    const bindings = new Map<string, AclBinding>();
    const index = new Map<number, TypeIndex>();
    for (const b of acls) {
      bindings.set(bindingKey(b), b);
      let idx = index.get(b.resourceType);
      if (!idx) index.set(b.resourceType, (idx = { literal: new Map(), prefixed: [] }));
      if (b.patternType === PatternType.PREFIXED) idx.prefixed.push(b);
      else {
        const list = idx.literal.get(b.resourceName);
        if (list) list.push(b);
        else idx.literal.set(b.resourceName, [b]);
      }
    }
    this.bindings = bindings;
    this.index = index;
    this.cache = new WeakMap();
    this.cached = 0;
  }
}

/** A failed ACL write: a KafkaError keeps its code (REQUEST_TIMED_OUT after lost etcd races: retriable). */
function storeFailure(err: unknown): AclError {
  return { code: err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR, message: `Could not store the ACLs: ${(err as Error).message}` };
}

function appliesTo(b: AclBinding, who: string, host: string): boolean {
  return (b.principal === who || b.principal === WILDCARD_PRINCIPAL) && (b.host === WILDCARD || b.host === host || b.host === ipv4Of(host));
}

/** An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d; ACLs name it a.b.c.d, as Kafka's. */
function ipv4Of(host: string): string {
  return host.startsWith('::ffff:') ? host.slice(7) : host;
}

function impliedBits(op: number): number {
  const bit = 1 << op;
  if ((bit & IMPLIES_DESCRIBE) !== 0) return bit | DESCRIBE_BIT;
  if (op === AclOperation.ALTER_CONFIGS) return bit | DESCRIBE_CONFIGS_BIT;
  return bit;
}
