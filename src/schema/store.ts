/**
 * The registry's state in memory, built only by applying `_schemas` records (records.ts) in log
 * order — at startup by replaying the topic, at runtime after each record the registry wrote is
 * durable. One code path for both means a restart rebuilds exactly what clients saw: same ids,
 * versions, deletions and configs.
 *
 * A schema (id → text, type, references) lives as long as some subject version, soft-deleted or
 * not, uses it; permanently deleting its last version forgets it. Ids are never handed out twice
 * within a run (`nextId()` is above every id ever applied).
 */
import { canonicalAvro } from './normalize.js';
import {
  decodeConfigValue,
  decodeDeleteSubjectValue,
  decodeKey,
  decodeModeValue,
  decodeSchemaValue,
  type RegistryKey,
  type SchemaReference,
} from './records.js';

export interface VersionEntry {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly deleted: boolean;
}

export interface StoredSchema {
  readonly id: number;
  readonly schema: string;
  readonly schemaType: string;
  readonly references: readonly SchemaReference[];
  readonly identity: string;
}

/** What makes two registrations "the same schema": type, canonical form and references. */
export function schemaIdentity(schemaType: string, canonical: string, references: readonly SchemaReference[]): string {
  const refs = references.map((r) => `${r.name}\u0000${r.subject}\u0000${r.version}`).join('\u0001');
  return `${schemaType}\u0002${canonical}\u0002${refs}`;
}

function identityOfText(schemaType: string, text: string, references: readonly SchemaReference[]): string {
  let canonical = text;
  try {
    canonical = canonicalAvro(JSON.parse(text));
  } catch {
    // Not JSON (a foreign record): identity by exact text, it can still be served by id.
  }
  return schemaIdentity(schemaType, canonical, references);
}

export class SchemaStore {
  private readonly subjects = new Map<string, Map<number, VersionEntry>>();
  private readonly schemas = new Map<number, StoredSchema>();
  private readonly idByIdentity = new Map<string, number>();
  /** Compatibility levels: subject → level, null key = global. */
  private readonly configs = new Map<string | null, string>();
  private readonly modes = new Map<string | null, string>();
  private maxId = 0;
  private readonly idsBySubject = new Map<string, ReadonlySet<number>>();
  /** Bumped by every change; caches derived from the store (validation) compare it. */
  generation = 0;

  /** Applies one `_schemas` record; false when the record was not understood (skipped). */
  apply(keyBytes: Buffer, value: Buffer | null): boolean {
    const key = decodeKey(keyBytes);
    if (!key) return false;
    return this.applyKey(key, value);
  }

  /**
   * `identity`, when the writer already knows it (the registry computed it while parsing), saves
   * normalizing the schema text again on the event loop.
   */
  applyKey(key: RegistryKey, value: Buffer | null, identity?: string): boolean {
    this.generation++;
    this.idsBySubject.clear();
    switch (key.keytype) {
      case 'SCHEMA':
        return this.applySchema(key.subject, key.version, value, identity);
      case 'CONFIG': {
        if (value === null) return this.configs.delete(key.subject), true;
        const level = decodeConfigValue(value);
        if (level === null) return false;
        this.configs.set(key.subject, level);
        return true;
      }
      case 'MODE': {
        if (value === null) return this.modes.delete(key.subject), true;
        const mode = decodeModeValue(value);
        if (mode === null) return false;
        this.modes.set(key.subject, mode);
        return true;
      }
      case 'DELETE_SUBJECT': {
        if (value === null) return true;
        const upTo = decodeDeleteSubjectValue(value);
        if (upTo === null) return false;
        const versions = this.subjects.get(key.subject);
        if (versions) for (const [v, e] of versions) if (v <= upTo && !e.deleted) versions.set(v, { ...e, deleted: true });
        return true;
      }
    }
  }

  private applySchema(subject: string, version: number, value: Buffer | null, knownIdentity?: string): boolean {
    let versions = this.subjects.get(subject);
    if (value === null) {
      const old = versions?.get(version);
      if (!old || !versions) return true;
      versions.delete(version);
      if (versions.size === 0) this.subjects.delete(subject);
      if (this.usages(old.id).length === 0) this.forgetSchema(old.id);
      return true;
    }
    const v = decodeSchemaValue(value);
    if (!v || v.subject !== subject || v.version !== version || v.id <= 0) return false;
    const existing = this.schemas.get(v.id);
    const identity =
      existing && existing.schema === v.schema && existing.schemaType === v.schemaType ? existing.identity : (knownIdentity ?? identityOfText(v.schemaType, v.schema, v.references));
    if (!existing || existing.identity !== identity) {
      if (existing) this.idByIdentity.delete(existing.identity);
      this.schemas.set(v.id, { id: v.id, schema: v.schema, schemaType: v.schemaType, references: v.references, identity });
      this.idByIdentity.set(identity, v.id);
    }
    if (v.id > this.maxId) this.maxId = v.id;
    if (!versions) this.subjects.set(subject, (versions = new Map()));
    const previous = versions.get(version);
    versions.set(version, { subject, version, id: v.id, deleted: v.deleted });
    if (previous && previous.id !== v.id && this.usages(previous.id).length === 0) this.forgetSchema(previous.id);
    return true;
  }

  private forgetSchema(id: number): void {
    const s = this.schemas.get(id);
    if (!s) return;
    this.schemas.delete(id);
    if (this.idByIdentity.get(s.identity) === id) this.idByIdentity.delete(s.identity);
  }

  // ---- queries ----------------------------------------------------------------------------------

  /** Subjects with at least one version (not soft-deleted unless `deleted`), sorted. */
  subjectNames(deleted = false): string[] {
    const out: string[] = [];
    for (const [name, versions] of this.subjects) {
      for (const e of versions.values()) {
        if (deleted || !e.deleted) {
          out.push(name);
          break;
        }
      }
    }
    return out.sort();
  }

  /** Every version of the subject, soft-deleted ones included, by version number. */
  versionsOf(subject: string): VersionEntry[] {
    const versions = this.subjects.get(subject);
    return versions ? [...versions.values()].sort((a, b) => a.version - b.version) : [];
  }

  version(subject: string, version: number): VersionEntry | undefined {
    return this.subjects.get(subject)?.get(version);
  }

  schema(id: number): StoredSchema | undefined {
    return this.schemas.get(id);
  }

  idForIdentity(identity: string): number | undefined {
    return this.idByIdentity.get(identity);
  }

  /** Every subject version that uses the schema id. */
  usages(id: number): VersionEntry[] {
    const out: VersionEntry[] = [];
    for (const versions of this.subjects.values()) for (const e of versions.values()) if (e.id === id) out.push(e);
    return out.sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : a.version - b.version));
  }

  /** Schema ids whose references name this subject version. */
  referencedBy(subject: string, version: number): number[] {
    const out: number[] = [];
    for (const s of this.schemas.values()) if (s.references.some((r) => r.subject === subject && r.version === version)) out.push(s.id);
    return out.sort((a, b) => a - b);
  }

  /** Ids of the subject's live (not soft-deleted) versions; cached until the next change. */
  liveIds(subject: string): ReadonlySet<number> {
    let ids = this.idsBySubject.get(subject);
    if (!ids) {
      const set = new Set<number>();
      for (const e of this.subjects.get(subject)?.values() ?? []) if (!e.deleted) set.add(e.id);
      this.idsBySubject.set(subject, (ids = set));
    }
    return ids;
  }

  config(subject: string | null): string | undefined {
    return this.configs.get(subject);
  }

  mode(subject: string | null): string | undefined {
    return this.modes.get(subject);
  }

  nextId(): number {
    return this.maxId + 1;
  }

  schemaCount(): number {
    return this.schemas.size;
  }
}
