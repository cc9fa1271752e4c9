/**
 * The payload check of broker-side validation: does a byte range hold exactly one value encoded
 * with a given Avro schema? Compiled once per schema into a generated function (see CodeGen) that
 * walks the encoding without building the value.
 *
 * Why not avsc's `type.decode()`: it materialises every value (objects, strings, arrays: most of
 * the cost of a decode) only for us to throw it away, and it trusts the input — a block count of
 * 2^40 items, or a negative string length, sends it into a loop that runs for hours while
 * allocating. A broker must stay up whatever a producer sends, so this walker bounds everything
 * against the bytes that are actually there:
 *
 * - every length and block count is checked against the remaining bytes before it is used, so the
 *   work is linear in the payload size (items of zero encoded size — null, empty records — are
 *   skipped in O(1) per block);
 * - varints longer than 5 (int) or 10 (long) bytes, negative lengths, union branch and enum
 *   indexes out of range, booleans other than 0/1, and array/map blocks whose byte size disagrees
 *   with their items are all invalid;
 * - strings are not checked for UTF-8 (neither does Avro's Java decoder, which substitutes).
 *
 * The result is the position after the value (-1 when invalid); the caller requires it to be the
 * end of the payload. Deeply nested recursive data can overflow the stack: callers catch that and
 * treat the record as invalid.
 */
import type { Type } from 'avsc';

/** Returns the position after one value encoded at `pos`, or -1 when the bytes are not one. */
export type Skipper = (buf: Buffer, pos: number, end: number) => number;

// The value of the last varint read. Module-level scratch keeps the walk allocation-free
// (returning {value, pos} pairs would allocate per field).
let varintValue = 0;

const POW7 = Array.from({ length: 10 }, (_, i) => 2 ** (7 * i));

/** The value of the varint read by the last successful readVarint(). */
export function lastVarint(): number {
  return varintValue;
}

/** Reads a zig-zag varint of at most `maxBytes` bytes (see lastVarint()); returns the next position or -1. */
export function readVarint(buf: Buffer, pos: number, end: number, maxBytes: number): number {
  let n = 0;
  for (let i = 0; i < maxBytes; i++) {
    if (pos >= end) return -1;
    const b = buf[pos++]!;
    // Float arithmetic: exact up to 2^53, only magnitudes beyond that lose bits, and such a
    // value is never a valid length or index (plain long fields discard it anyway).
    n += (b & 0x7f) * POW7[i]!;
    if (b < 0x80) {
      varintValue = n % 2 === 0 ? n / 2 : -(n + 1) / 2;
      return pos;
    }
  }
  return -1;
}

/** Slow path of the generated code: any varint (up to 10 bytes) into varintValue. */
function readLong(buf: Buffer, pos: number, end: number): number {
  return readVarint(buf, pos, end, 10);
}

/** Skips a varint of at most `maxBytes` bytes without computing its value. */
function skipVarint(buf: Buffer, pos: number, end: number, maxBytes: number): number {
  for (let i = 0; i < maxBytes; i++) {
    if (pos >= end) return -1;
    if (buf[pos++]! < 0x80) return pos;
  }
  return -1;
}

interface Compiled {
  skip: Skipper;
  minSize: number;
}

/** Smallest encoded size of a value of `type` (0 only for zero-width types such as null). */
function minSize(type: Type, visiting: Set<Type>): number {
  const t = type as unknown as Record<string, unknown>;
  switch (type.typeName) {
    case 'null':
      return 0;
    case 'float':
      return 4;
    case 'double':
      return 8;
    case 'fixed':
      return t['size'] as number;
    case 'record':
    case 'error': {
      // A record reached again while computing its own size: count it as one byte (it can only
      // recur through a union or an array, which take at least one byte anyway).
      if (visiting.has(type)) return 1;
      visiting.add(type);
      let n = 0;
      for (const f of t['fields'] as Array<{ type: Type }>) n += minSize(f.type, visiting);
      visiting.delete(type);
      return n;
    }
    default:
      if (type.typeName.startsWith('logical:')) return minSize(t['underlyingType'] as Type, visiting);
      return 1;
  }
}

/**
 * Code generation. Each record type becomes one function `R<k>(buf, p, e)`; everything else is
 * emitted inline into its record's body (unions as a switch, arrays and maps as block loops), so
 * a whole record is checked by straight-line code with direct, monomorphic calls — about 3x
 * faster than a tree of closures. Only numbers (sizes, symbol and branch counts) and our own
 * identifiers are written into the source: no name or text from the schema ever is.
 *
 * Register conventions of the generated code: `p` the position, `e` the end, `n` a scratch for
 * lengths and indexes; a failure returns -1 at once.
 */
class CodeGen {
  private readonly recordIds = new Map<Type, number>();
  private readonly functions: string[] = [];
  private depth = 0;

  /** Reads a zig-zag varint into `v`: one-byte fast path inline, the rest in readLong(). */
  private readVarintInto(v: string): string {
    return `if (p < e && buf[p] < 0x80) { ${v} = (buf[p] >>> 1) ^ -(buf[p] & 1); p++; } else { p = H.readLong(buf, p, e); if (p < 0) return -1; ${v} = H.last(); }`;
  }

  private skipVarint(maxBytes: number): string {
    return `if (p < e && buf[p] < 0x80) p++; else { p = H.skipVarint(buf, p, e, ${maxBytes}); if (p < 0) return -1; }`;
  }

  private fixed(size: number): string {
    return size === 0 ? '' : `if (p + ${size} > e) return -1; p += ${size};`;
  }

  private skipBytes(): string {
    return `${this.readVarintInto('n')} if (n < 0 || n > e - p) return -1; p += n;`;
  }

  /** A block-encoded array or map: `item` is the code of one item of at least `minItem` bytes. */
  private blocks(item: string, minItem: number): string {
    const d = ++this.depth;
    const c = `c${d}`;
    const s = `s${d}`;
    const be = `be${d}`;
    const i = `i${d}`;
    const loop =
      minItem > 0
        ? `if (${c} > (e - p) / ${minItem}) return -1; for (let ${i} = 0; ${i} < ${c}; ${i}++) { ${item} }`
        : `if (!Number.isSafeInteger(${c})) return -1;`;
    this.depth--;
    return `for (;;) { let ${c} = 0; ${this.readVarintInto(c)} if (${c} === 0) break; let ${be} = -1; if (${c} < 0) { ${c} = -${c}; let ${s} = 0; ${this.readVarintInto(s)} if (${s} < 0 || ${s} > e - p) return -1; ${be} = p + ${s}; } ${loop} if (${be} >= 0 && p !== ${be}) return -1; }`;
  }

  /** Statements that skip one value of `type` at p. */
  emit(type: Type): string {
    const t = type as unknown as Record<string, unknown>;
    switch (type.typeName) {
      case 'null':
        return '';
      case 'boolean':
        return 'if (p >= e || buf[p] > 1) return -1; p++;';
      case 'int':
        return this.skipVarint(5);
      case 'long':
        return this.skipVarint(10);
      case 'float':
        return this.fixed(4);
      case 'double':
        return this.fixed(8);
      case 'bytes':
      case 'string':
        return this.skipBytes();
      case 'fixed':
        return this.fixed(t['size'] as number);
      case 'enum':
        return `${this.readVarintInto('n')} if (n < 0 || n >= ${(t['symbols'] as string[]).length}) return -1;`;
      case 'union:unwrapped':
      case 'union:wrapped': {
        const branches = (t['types'] as Type[]).map((b, i) => `case ${i}: { ${this.emit(b)} break; }`);
        return `${this.readVarintInto('n')} switch (n) { ${branches.join(' ')} default: return -1; }`;
      }
      case 'array': {
        const items = t['itemsType'] as Type;
        return this.blocks(this.emit(items), minSize(items, new Set()));
      }
      case 'map': {
        const values = t['valuesType'] as Type;
        return this.blocks(`${this.skipBytes()} ${this.emit(values)}`, 1 + minSize(values, new Set()));
      }
      case 'record':
      case 'error':
        return `p = R${this.record(type)}(buf, p, e); if (p < 0) return -1;`;
      default:
        if (type.typeName.startsWith('logical:')) return this.emit(t['underlyingType'] as Type);
        throw new Error(`cannot validate Avro type ${type.typeName}`);
    }
  }

  /** The id of the function checking a record type, generating it on first use. */
  private record(type: Type): number {
    let id = this.recordIds.get(type);
    if (id !== undefined) return id;
    id = this.recordIds.size;
    // Registered before the fields are emitted, so recursive references find it.
    this.recordIds.set(type, id);
    const saved = this.depth;
    this.depth = 0;
    const fields = ((type as unknown as Record<string, unknown>)['fields'] as Array<{ type: Type }>).map((f) => this.emit(f.type));
    this.depth = saved;
    this.functions.push(`function R${id}(buf, p, e) { let n = 0; ${fields.join(' ')} return p; }`);
    return id;
  }

  build(root: Type): Skipper {
    const body = this.emit(root);
    const source = `${this.functions.join('\n')}\nreturn function skip(buf, p, e) { let n = 0; ${body} return p; };`;
    const helpers = { readLong, skipVarint, last: lastVarint };
    return new Function('H', source)(helpers) as Skipper;
  }
}

/** Compiles the payload check of one schema (once per schema id; the result is reused). */
export function compileSkipper(type: Type): Compiled {
  return { skip: new CodeGen().build(type), minSize: minSize(type, new Set()) };
}

/**
 * Why `buf[start, end)` is not exactly one value of the compiled schema, or null when it is.
 * Throws RangeError on pathologically deep data (the caller's catch treats it as invalid).
 */
export function checkPayload(skip: Skipper, buf: Buffer, start: number, end: number): string | null {
  const at = skip(buf, start, end);
  if (at < 0) return 'does not decode with its schema';
  if (at !== end) return `decodes with ${end - at} bytes left over`;
  return null;
}
