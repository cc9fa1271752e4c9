/**
 * The schema registry's operations, with Confluent's semantics and error codes; the HTTP layer
 * (http.ts) only maps routes onto these methods.
 *
 * The store follows `_schemas` (schemas-tail.ts): every record of the topic is applied in log
 * order, whoever wrote it. Writes (register, delete, config, mode) are made by the leader of
 * `_schemas`-0 (other brokers forward them: forward.ts) one at a time: each catches up to the end
 * of the topic, decides against the current state, appends its records, waits until they are
 * acknowledged (acks=all) and only then applies them to the store — so an id or version is never
 * handed out twice, even by a new leader, and nothing a client was told survives only in memory.
 * Reads never wait for writes; on a broker that does not lead they lag the leader by replication.
 *
 * Identity: a registration whose type, canonical form (normalize.ts) and references equal an
 * existing schema's reuses that schema's id (in any subject); registering a schema a subject
 * already has live returns its id without a new version.
 *
 * Schemas that clients send are checked against the limits (limits.ts) and parsed, and checked
 * for compatibility, in a worker thread (parser.ts): the broker's event loop only reads the store.
 * Produce validation compiles a registered schema on the event loop, once per id (compiledSchema).
 */
import type { Logger } from '../logger.js';
import { parseAvro } from './avro.js';
import { DEFAULT_COMPATIBILITY, parseCompatibilityLevel, type CompatibilityLevel } from './compatibility.js';
import { RegistryError, RegistryErrors } from './errors.js';
import { encodeConfigValue, encodeDeleteSubjectValue, encodeKey, encodeModeValue, encodeSchemaValue, type RegistryKey, type SchemaReference } from './records.js';
import type { KeyedRecord, SchemasLog } from './schemas-log.js';
import { SchemasTail } from './schemas-tail.js';
import { schemaIdentity, SchemaStore, type StoredSchema, type VersionEntry } from './store.js';
import { compileSkipper, type Skipper } from './validator.js';
import { checkSchemaBytes, defaultSchemaLimits, type SchemaLimits } from './limits.js';
import { sharedSchemaParser, type SchemaParser } from './parser.js';
import type { SchemaTexts } from './parse-worker.js';
import type { Type } from 'avsc';

export const MODES = ['READWRITE', 'READONLY', 'READONLY_OVERRIDE', 'IMPORT'] as const;
export type Mode = (typeof MODES)[number];
export const SCHEMA_TYPES = ['AVRO'] as const;

/** A schema as clients send it (POST /subjects/{s}/versions, lookup, compatibility). */
export interface SchemaInput {
  schema: string;
  schemaType?: string;
  references?: SchemaReference[];
  /** IMPORT mode only: the id (and version) to register under. */
  id?: number;
  version?: number;
}

export interface SchemaResponse {
  subject: string;
  version: number;
  id: number;
  schema: string;
  schemaType?: string;
  references?: SchemaReference[];
}

/** A registered schema ready for produce validation: compiled once per id. */
export interface CompiledSchema {
  readonly id: number;
  readonly type: Type;
  readonly skip: Skipper;
  /** Full name of the top-level named type (RecordNameStrategy subjects), or null. */
  readonly fullName: string | null;
}

const MAX_VERSION = 2 ** 31 - 1;

/** 'latest' / -1, or a version number; throws 42202 otherwise. */
export function parseVersion(v: string | number): number | 'latest' {
  if (v === 'latest' || v === -1 || v === '-1') return 'latest';
  const n = typeof v === 'number' ? v : /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_VERSION) throw RegistryErrors.invalidVersion(String(v));
  return n;
}

function subjectProblem(subject: string): string | null {
  if (subject.length === 0) return 'Subject name must not be empty';
  // Control characters would make keys of `_schemas` and log lines unreadable.
  if (/[\u0000-\u001f]/.test(subject)) return 'Subject name must not contain control characters';
  return null;
}

export class SchemaRegistry {
  readonly store = new SchemaStore();
  /** Base URL of the REST API once it listens (null when disabled). */
  url: string | null = null;
  private writes: Promise<unknown> = Promise.resolve();
  /** id → compiled schema; null: the schema exists but cannot be compiled (kept so we try once). */
  private readonly compiled = new Map<number, CompiledSchema | null>();
  private readonly compiledGeneration = new Map<number, string>();
  /** Applies `_schemas` to the store, in log order (schemas-tail.ts). */
  private readonly tail: SchemasTail;

  constructor(
    private readonly log: SchemasLog,
    private readonly logger: Logger,
    readonly limits: SchemaLimits = defaultSchemaLimits(),
    private readonly parser: SchemaParser = sharedSchemaParser(),
  ) {
    this.tail = new SchemasTail(log, (key, value) => this.store.apply(key, value), logger);
  }

  /** Reads `_schemas` as far as it goes into the store (startup). */
  async load(): Promise<{ records: number; skipped: number; schemas: number; ms: number }> {
    const t0 = performance.now();
    await this.tail.catchUp();
    return { ...this.tail.stats, schemas: this.store.schemaCount(), ms: Math.round(performance.now() - t0) };
  }

  /** Keeps reading `_schemas` as records arrive (the writes of the leader, when that is another broker), until `stopFollowing`. */
  follow(): void {
    this.tail.follow();
  }

  stopFollowing(): void {
    this.tail.stop();
  }

  /** The next `_schemas` offset the store has not applied: after a write, past its records. */
  get appliedOffset(): number {
    return this.tail.applied;
  }

  /** Resolves once the store applied `_schemas` up to `offset` (read-your-write after a forwarded write); rejects after `timeoutMs`. */
  readUpTo(offset: number, timeoutMs: number): Promise<void> {
    if (this.tail.applied >= offset) return Promise.resolve();
    void this.tail.catchUp().catch(() => undefined);
    return this.tail.reach(offset, timeoutMs);
  }

  // ---- writes -----------------------------------------------------------------------------------

  /** Runs a write after every earlier one, once the store has read `_schemas` to its end. */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writes.then(async () => {
      try {
        await this.tail.catchUpToEnd(this.limits.storeTimeoutMs);
      } catch (e) {
        throw RegistryErrors.operationTimeout((e as Error).message);
      }
      return fn();
    });
    this.writes = run.catch(() => undefined);
    return run;
  }

  private async write(records: Array<{ key: RegistryKey; value: Buffer | null; identity?: string }>): Promise<void> {
    const keyed: KeyedRecord[] = records.map((r) => ({ key: encodeKey(r.key), value: r.value }));
    let at: { baseOffset: number; lastOffset: number };
    try {
      at = await this.log.append(keyed, this.limits.storeTimeoutMs);
    } catch (e) {
      this.logger.error({ err: e }, 'writing to _schemas failed');
      throw RegistryErrors.storeError((e as Error).message);
    }
    const applyOwn = (): void => {
      for (const r of records) this.store.applyKey(r.key, r.value, r.identity);
    };
    try {
      await this.tail.wrote(at.baseOffset, at.lastOffset, applyOwn, this.limits.storeTimeoutMs);
    } catch (e) {
      throw RegistryErrors.operationTimeout((e as Error).message);
    }
  }

  async register(subject: string, input: SchemaInput): Promise<{ id: number }> {
    const bad = subjectProblem(subject);
    if (bad) throw RegistryErrors.unprocessable(bad);
    const { parsed, texts, identity, references, schemaType } = await this.parseInput(input);
    return this.serialized(async () => {
      const mode = this.effectiveMode(subject);
      if (mode === 'READONLY' || mode === 'READONLY_OVERRIDE') throw RegistryErrors.operationNotPermitted(`Subject ${subject} is in read-only mode`);
      const all = this.store.versionsOf(subject);
      const live = all.filter((e) => !e.deleted);
      const same = live.find((e) => this.store.schema(e.id)?.identity === identity);
      const wantedId = input.id !== undefined && input.id >= 0 ? input.id : undefined;
      if (same && (wantedId === undefined || wantedId === same.id)) return { id: same.id };
      let id: number;
      if (mode === 'IMPORT') {
        const known = this.store.idForIdentity(identity);
        if (wantedId !== undefined) {
          const holder = this.store.schema(wantedId);
          if (holder && holder.identity !== identity) throw RegistryErrors.operationNotPermitted(`Overwrite new schema with id ${wantedId} is not permitted.`);
          id = wantedId;
        } else {
          id = known ?? this.store.nextId();
        }
      } else {
        if (wantedId !== undefined) throw RegistryErrors.operationNotPermitted(`Subject ${subject} is not in import mode`);
        const level = this.effectiveCompatibility(subject);
        const problems = await this.compatibilityProblems(level, texts, live);
        if (problems.length > 0) {
          throw RegistryErrors.incompatible(`Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${problems.join(', ')}]`);
        }
        id = this.store.idForIdentity(identity) ?? this.store.nextId();
      }
      let version = (all.length > 0 ? all[all.length - 1]!.version : 0) + 1;
      if (mode === 'IMPORT' && input.version !== undefined && input.version > 0) {
        if (this.store.version(subject, input.version)) throw RegistryErrors.operationNotPermitted(`Version ${input.version} of subject ${subject} already exists`);
        version = input.version;
      }
      const schema = this.store.schema(id)?.schema ?? parsed.text;
      await this.write([{ key: { keytype: 'SCHEMA', subject, version }, value: encodeSchemaValue({ subject, version, id, schemaType, references, schema, deleted: false }), identity }]);
      this.logger.info({ subject, version, id }, 'schema registered');
      return { id };
    });
  }

  async deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    return this.serialized(async () => {
      this.assertWritable(subject);
      const all = this.store.versionsOf(subject);
      if (all.length === 0) throw RegistryErrors.subjectNotFound(subject);
      const live = all.filter((e) => !e.deleted);
      if (!permanent) {
        if (live.length === 0) throw RegistryErrors.subjectSoftDeleted(subject);
        for (const e of live) this.assertNotReferenced(e);
        const latest = live[live.length - 1]!.version;
        await this.write([{ key: { keytype: 'DELETE_SUBJECT', subject }, value: encodeDeleteSubjectValue(subject, latest) }]);
        this.logger.info({ subject, versions: live.length }, 'subject soft-deleted');
        return live.map((e) => e.version);
      }
      if (live.length > 0) throw RegistryErrors.subjectNotSoftDeleted(subject);
      for (const e of all) this.assertNotReferenced(e);
      const records: Array<{ key: RegistryKey; value: Buffer | null }> = all.map((e) => ({ key: { keytype: 'SCHEMA', subject, version: e.version }, value: null }));
      records.push({ key: { keytype: 'DELETE_SUBJECT', subject }, value: null });
      if (this.store.config(subject) !== undefined) records.push({ key: { keytype: 'CONFIG', subject }, value: null });
      if (this.store.mode(subject) !== undefined) records.push({ key: { keytype: 'MODE', subject }, value: null });
      await this.write(records);
      this.logger.info({ subject, versions: all.length }, 'subject permanently deleted');
      return all.map((e) => e.version);
    });
  }

  async deleteVersion(subject: string, versionText: string, permanent: boolean): Promise<number> {
    const wanted = parseVersion(versionText);
    return this.serialized(async () => {
      this.assertWritable(subject);
      const all = this.store.versionsOf(subject);
      if (all.length === 0) throw RegistryErrors.subjectNotFound(subject);
      const candidates = permanent ? all : all.filter((e) => !e.deleted);
      const entry = wanted === 'latest' ? candidates[candidates.length - 1] : this.store.version(subject, wanted);
      if (!entry) throw RegistryErrors.versionNotFound(wanted === 'latest' ? 'latest' : wanted);
      if (!permanent && entry.deleted) throw RegistryErrors.versionSoftDeleted(subject, entry.version);
      if (permanent && !entry.deleted) throw RegistryErrors.versionNotSoftDeleted(subject, entry.version);
      this.assertNotReferenced(entry);
      const key: RegistryKey = { keytype: 'SCHEMA', subject, version: entry.version };
      if (permanent) {
        await this.write([{ key, value: null }]);
      } else {
        const s = this.store.schema(entry.id)!;
        await this.write([{ key, value: encodeSchemaValue({ subject, version: entry.version, id: entry.id, schemaType: s.schemaType, references: [...s.references], schema: s.schema, deleted: true }) }]);
      }
      this.logger.info({ subject, version: entry.version, permanent }, 'schema version deleted');
      return entry.version;
    });
  }

  async setConfig(subject: string | null, body: unknown): Promise<{ compatibility: CompatibilityLevel }> {
    const level = parseCompatibilityLevel((body as Record<string, unknown> | null)?.['compatibility'] ?? (body as Record<string, unknown> | null)?.['compatibilityLevel']);
    if (level === null) throw RegistryErrors.invalidCompatibilityLevel();
    return this.serialized(async () => {
      await this.write([{ key: { keytype: 'CONFIG', subject }, value: encodeConfigValue(level) }]);
      this.logger.info({ subject, compatibility: level }, 'compatibility level set');
      return { compatibility: level };
    });
  }

  async deleteConfig(subject: string | null): Promise<{ compatibilityLevel: string }> {
    return this.serialized(async () => {
      const previous = this.store.config(subject);
      if (subject !== null && previous === undefined && this.store.versionsOf(subject).length === 0) throw RegistryErrors.subjectNotFound(subject);
      if (previous !== undefined) await this.write([{ key: { keytype: 'CONFIG', subject }, value: null }]);
      return { compatibilityLevel: previous ?? this.store.config(null) ?? DEFAULT_COMPATIBILITY };
    });
  }

  async setMode(subject: string | null, body: unknown, force: boolean): Promise<{ mode: Mode }> {
    const raw = (body as Record<string, unknown> | null)?.['mode'];
    const mode = typeof raw === 'string' ? (raw.toUpperCase() as Mode) : null;
    if (mode === null || !MODES.includes(mode)) throw RegistryErrors.invalidMode();
    return this.serialized(async () => {
      // Confluent's rule: IMPORT (explicit ids) only on an empty registry, unless forced.
      if (mode === 'IMPORT' && !force && (subject === null ? this.store.schemaCount() > 0 : this.store.versionsOf(subject).length > 0)) {
        throw RegistryErrors.operationNotPermitted('Cannot import since found existing subjects');
      }
      await this.write([{ key: { keytype: 'MODE', subject }, value: encodeModeValue(mode) }]);
      this.logger.info({ subject, mode }, 'mode set');
      return { mode };
    });
  }

  async deleteMode(subject: string): Promise<{ mode: string }> {
    return this.serialized(async () => {
      const previous = this.store.mode(subject);
      if (previous === undefined) throw RegistryErrors.subjectModeNotConfigured(subject);
      await this.write([{ key: { keytype: 'MODE', subject }, value: null }]);
      return { mode: previous };
    });
  }

  // ---- reads ------------------------------------------------------------------------------------

  subjects(deleted = false, prefix = ''): string[] {
    const names = this.store.subjectNames(deleted);
    return prefix === '' ? names : names.filter((s) => s.startsWith(prefix));
  }

  versions(subject: string, deleted = false): number[] {
    const list = this.store.versionsOf(subject).filter((e) => deleted || !e.deleted);
    if (list.length === 0) throw RegistryErrors.subjectNotFound(subject);
    return list.map((e) => e.version);
  }

  version(subject: string, versionText: string, deleted = false): SchemaResponse {
    const wanted = parseVersion(versionText);
    const list = this.store.versionsOf(subject).filter((e) => deleted || !e.deleted);
    if (list.length === 0) throw RegistryErrors.subjectNotFound(subject);
    const entry = wanted === 'latest' ? list[list.length - 1] : list.find((e) => e.version === wanted);
    if (!entry) throw RegistryErrors.versionNotFound(wanted);
    return this.response(entry);
  }

  async lookup(subject: string, input: SchemaInput, deleted = false): Promise<SchemaResponse> {
    const { identity } = await this.parseInput(input);
    const list = this.store.versionsOf(subject).filter((e) => deleted || !e.deleted);
    if (list.length === 0) throw RegistryErrors.subjectNotFound(subject);
    for (let i = list.length - 1; i >= 0; i--) if (this.store.schema(list[i]!.id)?.identity === identity) return this.response(list[i]!);
    throw RegistryErrors.schemaNotFound();
  }

  schemaById(id: number): { schema: string; schemaType?: string; references?: SchemaReference[] } {
    const s = this.store.schema(id);
    if (!s) throw RegistryErrors.schemaNotFound(id);
    const out: { schema: string; schemaType?: string; references?: SchemaReference[] } = { schema: s.schema };
    if (s.schemaType !== 'AVRO') out.schemaType = s.schemaType;
    if (s.references.length > 0) out.references = [...s.references];
    return out;
  }

  schemaVersions(id: number, deleted = false): Array<{ subject: string; version: number }> {
    if (!this.store.schema(id)) throw RegistryErrors.schemaNotFound(id);
    return this.store
      .usages(id)
      .filter((e) => deleted || !e.deleted)
      .map((e) => ({ subject: e.subject, version: e.version }));
  }

  schemaSubjects(id: number, deleted = false): string[] {
    return [...new Set(this.schemaVersions(id, deleted).map((v) => v.subject))];
  }

  referencedBy(subject: string, versionText: string): number[] {
    const entry = this.version(subject, versionText, true);
    return this.store.referencedBy(subject, entry.version);
  }

  /**
   * POST /compatibility/subjects/{s}/versions[/{v}]: against one version (plain direction of the
   * subject's level), or with `versionText` null against what registration would check.
   */
  async testCompatibility(subject: string, versionText: string | null, input: SchemaInput): Promise<{ is_compatible: boolean; messages: string[] }> {
    const { texts } = await this.parseInput(input);
    const level = this.effectiveCompatibility(subject);
    const live = this.store.versionsOf(subject).filter((e) => !e.deleted);
    let messages: string[];
    if (versionText === null) {
      messages = await this.compatibilityProblems(level, texts, live);
    } else {
      const wanted = parseVersion(versionText);
      if (live.length === 0) throw RegistryErrors.subjectNotFound(subject);
      const entry = wanted === 'latest' ? live[live.length - 1] : live.find((e) => e.version === wanted);
      if (!entry) throw RegistryErrors.versionNotFound(wanted);
      const single = level.replace('_TRANSITIVE', '') as CompatibilityLevel;
      messages = await this.compatibilityProblems(single, texts, [entry]);
    }
    return { is_compatible: messages.length === 0, messages };
  }

  getConfig(subject: string | null, defaultToGlobal: boolean): { compatibilityLevel: string } {
    const own = this.store.config(subject);
    if (own !== undefined) return { compatibilityLevel: own };
    if (subject !== null && !defaultToGlobal) throw RegistryErrors.subjectCompatibilityNotConfigured(subject);
    return { compatibilityLevel: this.store.config(null) ?? DEFAULT_COMPATIBILITY };
  }

  getMode(subject: string | null, defaultToGlobal: boolean): { mode: string } {
    const own = this.store.mode(subject);
    if (own !== undefined) return { mode: own };
    if (subject !== null && !defaultToGlobal) throw RegistryErrors.subjectModeNotConfigured(subject);
    return { mode: this.store.mode(null) ?? 'READWRITE' };
  }

  effectiveCompatibility(subject: string): CompatibilityLevel {
    return parseCompatibilityLevel(this.store.config(subject) ?? this.store.config(null)) ?? DEFAULT_COMPATIBILITY;
  }

  effectiveMode(subject: string): Mode {
    const m = this.store.mode(subject) ?? this.store.mode(null) ?? 'READWRITE';
    return (MODES as readonly string[]).includes(m) ? (m as Mode) : 'READWRITE';
  }

  // ---- compiled schemas (validation, compatibility) ------------------------------------------------

  /**
   * The compiled form of schema `id`: undefined when no such schema, null when it exists but
   * cannot be used (a non-Avro schema, or one whose references no longer resolve).
   */
  compiledSchema(id: number): CompiledSchema | null | undefined {
    const stored = this.store.schema(id);
    if (!stored) return undefined;
    // An id keeps its schema for the whole run; the text check covers a foreign record in
    // `_schemas` re-binding an id (cheap: one string comparison by reference, usually).
    if (this.compiledGeneration.get(id) === stored.schema) return this.compiled.get(id);
    let c: CompiledSchema | null = null;
    try {
      if (stored.schemaType === 'AVRO') {
        const parsed = parseAvro(stored.schema, this.referencedTexts(stored.references));
        const { skip } = compileSkipper(parsed.type);
        c = { id, type: parsed.type, skip, fullName: parsed.type.name ?? null };
      }
    } catch (e) {
      this.logger.warn({ id, err: (e as Error).message }, 'a registered schema cannot be compiled');
    }
    this.compiled.set(id, c);
    this.compiledGeneration.set(id, stored.schema);
    return c;
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private response(e: VersionEntry): SchemaResponse {
    const s = this.store.schema(e.id)!;
    const out: SchemaResponse = { subject: e.subject, version: e.version, id: e.id, schema: s.schema };
    if (s.schemaType !== 'AVRO') out.schemaType = s.schemaType;
    if (s.references.length > 0) out.references = [...s.references];
    return out;
  }

  /**
   * Compatibility of a candidate with registered versions (oldest first), decided in the parsing
   * thread. Versions that cannot be used (not Avro, references gone) are skipped.
   */
  private compatibilityProblems(level: CompatibilityLevel, candidate: SchemaTexts, entries: readonly VersionEntry[]): Promise<string[]> | string[] {
    const previous: Array<{ version: number } & SchemaTexts> = [];
    if (level === 'NONE') return [];
    for (const e of entries) {
      const s = this.store.schema(e.id);
      if (!s || s.schemaType !== 'AVRO') continue;
      try {
        previous.push({ version: e.version, schema: s.schema, referenced: this.referencedTexts(s.references) });
      } catch {
        // a reference that no longer resolves: this version cannot be compared
      }
    }
    if (previous.length === 0) return [];
    return this.parser.compatibility(level, candidate, previous, this.limits);
  }

  private assertWritable(subject: string): void {
    const mode = this.effectiveMode(subject);
    if (mode === 'READONLY' || mode === 'READONLY_OVERRIDE') throw RegistryErrors.operationNotPermitted(`Subject ${subject} is in read-only mode`);
  }

  private assertNotReferenced(e: VersionEntry): void {
    const by = this.store.referencedBy(e.subject, e.version).filter((id) => this.store.usages(id).some((u) => !u.deleted));
    if (by.length > 0) {
      throw RegistryErrors.referenceExists(`One or more references exist to the schema {magic=1,keytype=SCHEMA,subject=${e.subject},version=${e.version}}.`);
    }
  }

  /** Texts of the referenced schemas, dependencies first, each once; throws 42201 if one is missing. */
  private referencedTexts(refs: readonly SchemaReference[], seen = new Set<string>(), out: string[] = []): string[] {
    for (const r of refs) {
      const key = `${r.subject}\u0000${r.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const versions = this.store.versionsOf(r.subject);
      const entry = r.version === -1 ? versions.filter((e) => !e.deleted).pop() : versions.find((e) => e.version === r.version);
      const s: StoredSchema | undefined = entry && this.store.schema(entry.id);
      if (!s) throw RegistryErrors.invalidSchema(`reference ${r.name} to subject ${r.subject} version ${r.version} does not exist`);
      this.referencedTexts(s.references, seen, out);
      out.push(s.schema);
    }
    return out;
  }

  private async parseInput(
    input: SchemaInput,
  ): Promise<{ parsed: { text: string; canonical: string }; texts: SchemaTexts; identity: string; references: SchemaReference[]; schemaType: string }> {
    if (!input || typeof input !== 'object') throw RegistryErrors.unprocessable('Request body must be a JSON object');
    const schemaType = input.schemaType === undefined || input.schemaType === null ? 'AVRO' : String(input.schemaType).toUpperCase();
    if (!(SCHEMA_TYPES as readonly string[]).includes(schemaType)) throw RegistryErrors.invalidSchema(`Unsupported schema type ${schemaType}: this registry serves AVRO only`);
    if (typeof input.schema !== 'string') throw RegistryErrors.invalidSchema('Empty schema');
    const refsIn: unknown = input.references ?? [];
    if (!Array.isArray(refsIn)) throw RegistryErrors.invalidSchema('references must be an array');
    const references: SchemaReference[] = refsIn.map((r: unknown) => {
      const o = (r ?? {}) as Record<string, unknown>;
      if (typeof o['name'] !== 'string' || typeof o['subject'] !== 'string' || !Number.isInteger(o['version'])) {
        throw RegistryErrors.invalidSchema('each reference needs a name, a subject and a version');
      }
      return { name: o['name'], subject: o['subject'], version: o['version'] as number };
    });
    if (references.length > this.limits.maxSchemaFields) throw RegistryErrors.invalidSchema(`more than runnel.schema.registry.max.schema.fields (${this.limits.maxSchemaFields}) references`);
    const texts: SchemaTexts = { schema: input.schema, referenced: this.referencedTexts(references) };
    // Before anything parses: a size bound is a sum of lengths.
    checkSchemaBytes([texts.schema, ...texts.referenced], this.limits);
    const parsed = await this.parser.parse(texts, this.limits);
    return { parsed, texts, identity: schemaIdentity(schemaType, parsed.canonical, references), references, schemaType };
  }
}

export { RegistryError };
