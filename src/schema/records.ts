/**
 * The records of the `_schemas` topic, in Confluent Schema Registry's own JSON formats so the topic
 * reads the same as a Confluent one (`kcat -C -t _schemas -K'\t'` shows familiar records):
 *
 *   key {"keytype":"SCHEMA","subject":"s","version":1,"magic":1}
 *     value {"subject":"s","version":1,"id":7,"references":[],"schema":"...","deleted":false}
 *           (schemaType present only when not AVRO); null value: version permanently deleted
 *   key {"keytype":"CONFIG","magic":0} (global) / {"keytype":"CONFIG","subject":"s","magic":0}
 *     value {"compatibilityLevel":"FULL"}; null value: subject-level config removed
 *   key {"keytype":"MODE","magic":0} / {"keytype":"MODE","subject":"s","magic":0}
 *     value {"mode":"READONLY"}; null value: subject-level mode removed
 *   key {"keytype":"DELETE_SUBJECT","subject":"s","magic":0}
 *     value {"subject":"s","version":3}: every version up to 3 soft-deleted
 *
 * Keys are written with a fixed field order so that one logical key is always the same bytes
 * (compaction keeps the latest record per key bytes). Readers accept any order, and skip key
 * types they do not know (Confluent's NOOP, CLEAR_SUBJECT...) rather than fail startup.
 */

export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

export type RegistryKey =
  | { keytype: 'SCHEMA'; subject: string; version: number }
  | { keytype: 'CONFIG'; subject: string | null }
  | { keytype: 'MODE'; subject: string | null }
  | { keytype: 'DELETE_SUBJECT'; subject: string };

export interface SchemaValue {
  subject: string;
  version: number;
  id: number;
  schemaType: string;
  references: SchemaReference[];
  schema: string;
  deleted: boolean;
}

export function encodeKey(k: RegistryKey): Buffer {
  switch (k.keytype) {
    case 'SCHEMA':
      return Buffer.from(JSON.stringify({ keytype: 'SCHEMA', subject: k.subject, version: k.version, magic: 1 }));
    case 'CONFIG':
    case 'MODE':
      return Buffer.from(JSON.stringify(k.subject === null ? { keytype: k.keytype, magic: 0 } : { keytype: k.keytype, subject: k.subject, magic: 0 }));
    case 'DELETE_SUBJECT':
      return Buffer.from(JSON.stringify({ keytype: 'DELETE_SUBJECT', subject: k.subject, magic: 0 }));
  }
}

function parseObject(b: Buffer): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(b.toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The key, or null for key types this registry does not use or bytes it cannot read. */
export function decodeKey(b: Buffer): RegistryKey | null {
  const o = parseObject(b);
  if (!o) return null;
  const subject = typeof o['subject'] === 'string' ? o['subject'] : null;
  switch (o['keytype']) {
    case 'SCHEMA':
      return subject !== null && Number.isInteger(o['version']) ? { keytype: 'SCHEMA', subject, version: o['version'] as number } : null;
    case 'CONFIG':
      return { keytype: 'CONFIG', subject };
    case 'MODE':
      return { keytype: 'MODE', subject };
    case 'DELETE_SUBJECT':
      return subject !== null ? { keytype: 'DELETE_SUBJECT', subject } : null;
    default:
      return null;
  }
}

export function encodeSchemaValue(v: SchemaValue): Buffer {
  const o: Record<string, unknown> = { subject: v.subject, version: v.version, id: v.id };
  if (v.schemaType !== 'AVRO') o['schemaType'] = v.schemaType;
  o['references'] = v.references;
  o['schema'] = v.schema;
  o['deleted'] = v.deleted;
  return Buffer.from(JSON.stringify(o));
}

function parseReferences(v: unknown): SchemaReference[] | null {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return null;
  const out: SchemaReference[] = [];
  for (const r of v) {
    if (!r || typeof r !== 'object') return null;
    const { name, subject, version } = r as Record<string, unknown>;
    if (typeof name !== 'string' || typeof subject !== 'string' || !Number.isInteger(version)) return null;
    out.push({ name, subject, version: version as number });
  }
  return out;
}

export function decodeSchemaValue(b: Buffer): SchemaValue | null {
  const o = parseObject(b);
  if (!o) return null;
  const references = parseReferences(o['references']);
  if (typeof o['subject'] !== 'string' || !Number.isInteger(o['version']) || !Number.isInteger(o['id']) || typeof o['schema'] !== 'string' || !references) return null;
  return {
    subject: o['subject'],
    version: o['version'] as number,
    id: o['id'] as number,
    schemaType: typeof o['schemaType'] === 'string' ? o['schemaType'] : 'AVRO',
    references,
    schema: o['schema'],
    deleted: o['deleted'] === true,
  };
}

export function encodeConfigValue(level: string): Buffer {
  return Buffer.from(JSON.stringify({ compatibilityLevel: level }));
}

export function decodeConfigValue(b: Buffer): string | null {
  const o = parseObject(b);
  return o && typeof o['compatibilityLevel'] === 'string' ? o['compatibilityLevel'] : null;
}

export function encodeModeValue(mode: string): Buffer {
  return Buffer.from(JSON.stringify({ mode }));
}

export function decodeModeValue(b: Buffer): string | null {
  const o = parseObject(b);
  return o && typeof o['mode'] === 'string' ? o['mode'] : null;
}

export function encodeDeleteSubjectValue(subject: string, version: number): Buffer {
  return Buffer.from(JSON.stringify({ subject, version }));
}

export function decodeDeleteSubjectValue(b: Buffer): number | null {
  const o = parseObject(b);
  return o && Number.isInteger(o['version']) ? (o['version'] as number) : null;
}
