/**
 * The declaration language for Kafka messages.
 *
 * Each API is declared once, covering every version we serve, in `protocol/apis/NN-name.ts`.
 * Data messages (Kafka's `"type": "data"` specs and the coordinators' record keys and values: one
 * versioned struct, no request/response pair, no header) are declared in `protocol/data/name.ts`.
 * The declarations are written by us from the facts in Kafka's message specs (field order, types,
 * version ranges, nullability, tags, defaults). `protocol/gen/generate.ts` turns them into
 * straight-line encode/decode/size functions and TypeScript interfaces in `protocol/generated/`
 * (data messages in `protocol/generated/data/`).
 *
 * A field is a tuple, its key in the object being the field name (object key order is field order):
 *
 *   name: [type, versions, options?]                    primitive or array of primitives
 *   name: ['[]Struct' | 'Struct', versions, fields, options?]   array of structs, or one struct
 *
 * types:    bool int8 int16 uint16 int32 uint32 int64 float64 string bytes uuid records,
 *           and `[]` + any of those (except records) for arrays of primitives.
 * versions: '0+', '3-7', '5' or 'none' (a field present in no version, kept for documentation).
 * Struct names are prefixed with the message name in the generated code (Topic → MetadataRequestTopic).
 */

export type PrimitiveType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'uuid'
  | 'records';

export interface FieldOptions {
  /** Versions in which the field may be null (strings, bytes, arrays, records, structs). */
  nullable?: string;
  /** Tag number; the field is a tagged field in the versions given by `tagged`. */
  tag?: number;
  tagged?: string;
  /** Default value when the field is absent from a version or not set. */
  default?: boolean | number | string | null;
  /** A short description (paraphrased from the spec's `about`). */
  about?: string;
}

export type Fields = { readonly [name: string]: FieldSpec };

export type FieldSpec =
  | readonly [type: string, versions: string]
  | readonly [type: string, versions: string, options: FieldOptions]
  | readonly [type: string, versions: string, fields: Fields]
  | readonly [type: string, versions: string, fields: Fields, options: FieldOptions];

export interface ApiDeclaration {
  key: number;
  name: string;
  /** Versions we serve, e.g. '0-12'. */
  versions: string;
  /** First flexible version, e.g. '9+', or 'none'. */
  flexible: string;
  /** A short description of the API. */
  about?: string;
  request: Fields;
  response: Fields;
}

export function defineApi(decl: ApiDeclaration): ApiDeclaration {
  return decl;
}

/**
 * A data message. Stored (record keys and values of __consumer_offsets, __transaction_state) or
 * carried as bytes inside other messages (ConsumerProtocol in JoinGroup / SyncGroup) as an int16
 * version followed by the struct at that version, as Kafka's MessageUtil.toVersionPrefixedBytes.
 */
export interface DataDeclaration {
  name: string;
  /** Every version of the spec, e.g. '0-4'. */
  versions: string;
  /** First flexible version, e.g. '4+', or 'none'. */
  flexible: string;
  /**
   * Read a version above the highest declared one as the highest: for messages whose newer
   * versions may only append fields or add tagged fields (ConsumerProtocol; coordinator values
   * since KIP-915). Otherwise an unknown version is not read.
   */
  readsNewer?: boolean;
  about?: string;
  fields: Fields;
}

export function defineData(decl: DataDeclaration): DataDeclaration {
  return decl;
}

export interface VersionRange {
  min: number;
  /** Inclusive; Infinity for 'N+'. */
  max: number;
}

export function parseVersions(s: string): VersionRange | null {
  if (s === 'none') return null;
  let m = /^(\d+)\+$/.exec(s);
  if (m) return { min: Number(m[1]), max: Infinity };
  m = /^(\d+)-(\d+)$/.exec(s);
  if (m) return { min: Number(m[1]), max: Number(m[2]) };
  m = /^(\d+)$/.exec(s);
  if (m) return { min: Number(m[1]), max: Number(m[1]) };
  throw new Error(`bad version range '${s}'`);
}
