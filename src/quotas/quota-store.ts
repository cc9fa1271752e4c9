/**
 * The client quotas configured: entity → quota values (producer_byte_rate ...), changed by
 * AlterClientQuotas and read by quota enforcement (client-quotas.ts, connection-rate.ts) and
 * DescribeClientQuotas. Kept in memory; made durable by a backend — a file in the data dir on a
 * single node (quota-file.ts), etcd in a cluster (quota-etcd.ts), whose watch brings every other
 * broker's changes here so that every broker enforces the same quotas.
 *
 * Every change bumps `version`, which is how connections know that their cached resolution of
 * "which quota applies to me" (client-quotas.ts) is stale: an O(1) check per request.
 * Alterations are applied one at a time (a promise chain), each validated as a whole batch first.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { CLIENT_QUOTA_KEYS, IP_QUOTA_KEYS, entityKey, entityProblem, isIpEntity, type EntityComponent, type QuotaKeyType } from './entity.js';

export interface QuotaRecord {
  readonly entity: readonly EntityComponent[];
  /** key → value; empty: the entity has no quota any more (removed). */
  readonly values: Readonly<Record<string, number>>;
}

/** Where quota records are kept durably. */
export interface QuotaBackend {
  load(): Promise<QuotaRecord[]>;
  /**
   * Stores the changed entities (`all` is the whole set after the change, for whole-file writes).
   * Resolves true when follow() has already delivered the change (etcd: the watch caught up), so
   * the store must not apply it again over a newer change from another broker.
   */
  write(changed: readonly QuotaRecord[], all: readonly QuotaRecord[]): Promise<boolean | void>;
  /**
   * Follows the stored quotas (cluster: every broker's changes): `reset` replaces everything with
   * `records`; otherwise `records` are set and the entities with canonical keys `removed` dropped.
   */
  follow?(apply: (records: readonly QuotaRecord[], reset: boolean, removed?: readonly string[]) => void): Promise<void>;
  close?(): Promise<void>;
}

export interface QuotaOp {
  readonly key: string;
  readonly value: number;
  readonly remove: boolean;
}

export interface QuotaAlteration {
  readonly entity: readonly EntityComponent[];
  readonly ops: readonly QuotaOp[];
}

export interface AlterationResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

interface Entry {
  readonly entity: readonly EntityComponent[];
  readonly values: Map<string, number>;
}

const MAX_BY_TYPE: Record<QuotaKeyType, number> = { long: 2 ** 63 - 1, int: 2 ** 31 - 1, double: Number.MAX_VALUE };

/** Kafka's validation of one op (ClientQuotaControlManager): null when valid, else the message. */
function opProblem(entity: readonly EntityComponent[], op: QuotaOp): string | null {
  const keys = isIpEntity(entity) ? IP_QUOTA_KEYS : CLIENT_QUOTA_KEYS;
  const type = keys.get(op.key);
  if (type === undefined) return `Invalid configuration key ${op.key}`;
  if (op.remove) return null;
  if (!Number.isFinite(op.value)) return `Proposed value for ${op.key} is not a number.`;
  // Runnel also refuses negative quotas (Kafka stores them and they throttle everything).
  if (op.value < 0) return `Proposed value for ${op.key} must not be negative.`;
  if (op.value > MAX_BY_TYPE[type]) return `Proposed value for ${op.key} is too large for ${type === 'int' ? 'an INT' : `a ${type.toUpperCase()}`}.`;
  if (type !== 'double' && !Number.isInteger(op.value)) return `Proposed value for ${op.key} must be a whole number.`;
  return null;
}

export class ClientQuotaStore {
  private readonly entries = new Map<string, Entry>();
  /** Bumped on every change: cached resolutions compare it. */
  version = 0;
  /** Entities with a user / client-id quota (ip entities left out): zero means enforcement can skip everything. */
  clientEntities = 0;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly backend: QuotaBackend,
    /** runnel.quota.max.entities: entities with quotas at most (each is kept in memory, the file or etcd). */
    private readonly maxEntities = 10_000,
    /** runnel.quota.max.entity.name.length: characters of a user / client id / ip name. */
    private readonly maxNameLength = 1024,
  ) {}

  async open(): Promise<void> {
    this.replaceAll(await this.backend.load());
    await this.backend.follow?.((records, reset, removed) => {
      if (reset) this.replaceAll(records);
      else this.applyRecords(records, removed);
    });
  }

  async close(): Promise<void> {
    await this.backend.close?.();
  }

  /** The quota value of the entity with canonical key `key`, if set. */
  value(key: string, quotaKey: string): number | undefined {
    return this.entries.get(key)?.values.get(quotaKey);
  }

  /** Every entity with its values (DescribeClientQuotas). */
  all(): QuotaRecord[] {
    return [...this.entries.values()].map((e) => ({ entity: e.entity, values: Object.fromEntries(e.values) }));
  }

  /**
   * AlterClientQuotas: validates each entry (an invalid one fails alone, the others apply), then
   * stores and applies the valid ones together unless `validateOnly`.
   */
  alter(alterations: readonly QuotaAlteration[], validateOnly: boolean): Promise<AlterationResult[]> {
    const run = this.chain.then(() => this.doAlter(alterations, validateOnly));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async doAlter(alterations: readonly QuotaAlteration[], validateOnly: boolean): Promise<AlterationResult[]> {
    const results: AlterationResult[] = [];
    const changed = new Map<string, QuotaRecord>();
    for (const a of alterations) {
      const problem = entityProblem(a.entity) ?? this.nameProblem(a.entity) ?? a.ops.map((op) => opProblem(a.entity, op)).find((p) => p !== null) ?? duplicateKeyProblem(a.ops);
      if (problem !== null) {
        results.push({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem });
        continue;
      }
      const key = entityKey(a.entity);
      if (!this.entries.has(key) && !changed.has(key) && this.entries.size + newEntities(changed, this.entries) >= this.maxEntities && a.ops.some((op) => !op.remove)) {
        results.push({ errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: `runnel.quota.max.entities (${this.maxEntities}) reached: remove quotas of other entities first` });
        continue;
      }
      results.push({ errorCode: ErrorCode.NONE, errorMessage: null });
      const values = { ...(changed.get(key)?.values ?? Object.fromEntries(this.entries.get(key)?.values ?? [])) };
      for (const op of a.ops) {
        if (op.remove) delete values[op.key];
        else values[op.key] = op.value;
      }
      changed.set(key, { entity: a.entity, values });
    }
    if (validateOnly || changed.size === 0) return results;
    const records = [...changed.values()];
    const after = new Map(this.all().map((r) => [entityKey(r.entity), r]));
    for (const [k, r] of changed) {
      if (Object.keys(r.values).length === 0) after.delete(k);
      else after.set(k, r);
    }
    const delivered = await this.backend.write(records, [...after.values()]);
    if (delivered !== true) this.applyRecords(records);
    return results;
  }

  private nameProblem(entity: readonly EntityComponent[]): string | null {
    const long = entity.find((c) => c.entityName !== null && c.entityName.length > this.maxNameLength);
    return long ? `${long.entityType} entity name longer than runnel.quota.max.entity.name.length (${this.maxNameLength})` : null;
  }

  private replaceAll(records: readonly QuotaRecord[]): void {
    this.entries.clear();
    this.clientEntities = 0;
    this.applyRecords(records);
  }

  /** Sets each record's entity to exactly its values (idempotent: etcd's watch repeats our own writes). */
  private applyRecords(records: readonly QuotaRecord[], removed: readonly string[] = []): void {
    for (const key of removed) {
      const had = this.entries.get(key);
      if (had && !isIpEntity(had.entity)) this.clientEntities--;
      this.entries.delete(key);
    }
    for (const r of records) {
      const key = entityKey(r.entity);
      const had = this.entries.get(key);
      if (had && !isIpEntity(had.entity)) this.clientEntities--;
      const values = new Map(Object.entries(r.values).filter(([, v]) => typeof v === 'number'));
      if (values.size === 0) this.entries.delete(key);
      else {
        this.entries.set(key, { entity: r.entity, values });
        if (!isIpEntity(r.entity)) this.clientEntities++;
      }
    }
    this.version++;
  }
}

function newEntities(changed: ReadonlyMap<string, QuotaRecord>, existing: ReadonlyMap<string, unknown>): number {
  let n = 0;
  for (const k of changed.keys()) if (!existing.has(k)) n++;
  return n;
}

function duplicateKeyProblem(ops: readonly QuotaOp[]): string | null {
  const seen = new Set<string>();
  for (const op of ops) {
    if (seen.has(op.key)) return `Duplicate quota key ${op.key} in the same entry`;
    seen.add(op.key);
  }
  return null;
}

/** Parses stored records, skipping malformed ones (a record written by a newer version, a hand edit). */
export function parseRecords(raw: unknown): QuotaRecord[] {
  if (!Array.isArray(raw)) return [];
  const out: QuotaRecord[] = [];
  for (const r of raw) {
    if (typeof r !== 'object' || r === null) continue;
    const { entity, values } = r as { entity?: unknown; values?: unknown };
    if (!Array.isArray(entity) || typeof values !== 'object' || values === null) continue;
    const comps = entity.filter((c): c is EntityComponent => typeof c?.entityType === 'string' && (c.entityName === null || typeof c.entityName === 'string'));
    if (comps.length !== entity.length || entityProblem(comps) !== null) continue;
    const vals: Record<string, number> = {};
    for (const [k, v] of Object.entries(values)) if (typeof v === 'number') vals[k] = v;
    out.push({ entity: comps, values: vals });
  }
  return out;
}

/** A backend that keeps nothing (handler unit tests, embedders that want no persistence). */
export const memoryQuotaBackend = (): QuotaBackend => ({ load: async () => [], write: async () => undefined });
