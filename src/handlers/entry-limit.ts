/**
 * The per-request entry cap, `runnel.request.max.entries`: how many entries one request may list —
 * topic-partitions (Produce, Fetch, ListOffsets, OffsetCommit ...), topics (Metadata), groups,
 * config resources and keys, ACL filters, transactional ids —, counted over every list of the
 * decoded request (see entriesOver).
 *
 * Why: a handler's work grows with the entries it is given, and most of it runs without giving the
 * event loop back (awaits of settled promises are microtasks), so one request naming 100,000
 * partitions held every other connection for seconds. Kafka relies on its request thread pool;
 * Node has one thread. The cap keeps one request's handler work to tens of milliseconds; the
 * frame size (`socket.request.max.bytes`) still bounds what is decoded before the check.
 *
 * A request over the cap is not served: the connection is closed with a warning naming the key,
 * as a frame over socket.request.max.bytes is — an error response would cost work (and bytes) in
 * proportion to the entries again. Counting stops as soon as the cap is passed, so the check
 * itself is O(cap) whatever the request holds.
 *
 * CreateTopics, DeleteTopics and CreatePartitions are left out: their counts are bounded by the
 * topic and partition limits of topic creation.
 */
import { API_CODECS } from '../../protocol/generated/index.js';
import type { Handler } from './types.js';

/** API keys whose entries are bounded elsewhere (topic creation and deletion limits). */
const UNCAPPED = new Set([19, 20, 37]);

const isStruct = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

/**
 * Whether `request` lists more than `max` entries. The entries are the leaves of its lists: every
 * element of a list of values (partition indexes, group ids, config keys); for a list of structs,
 * the entries inside each element, or 1 for an element with none (a Fetch topic counts its
 * partitions, a Metadata topic counts 1). Stops counting once past `max`.
 */
export function entriesOver(request: object, max: number): boolean {
  let count = 0;
  /**
   * Counts the entries under struct `o`; returns how many. `shapes` remembers, per field, whether
   * that list's elements hold lists themselves: the elements of one list share a shape (decoded
   * structs are fixed-shape), so the first element of the first such list tells for all.
   */
  const under = (o: object, shapes: Map<string, boolean>): number => {
    const before = count;
    for (const k in o) {
      const f = (o as Record<string, unknown>)[k];
      if (Array.isArray(f)) {
        if (f.length === 0) continue;
        let nested = shapes.get(k);
        if (nested === undefined) shapes.set(k, (nested = hasNested(f[0])));
        list(f, nested);
      } else if (isStruct(f)) under(f, new Map());
      if (count > max) break;
    }
    return count - before;
  };
  const list = (l: unknown[], nested: boolean): void => {
    if (!nested) {
      count += l.length; // values, or structs without lists (a Fetch partition): one entry each
      return;
    }
    const shapes = new Map<string, boolean>();
    for (const e of l) {
      if (under(e as object, shapes) === 0) count++;
      if (count > max) return;
    }
  };
  under(request, new Map());
  return count > max;
}

/** Whether `v` is a struct with a field that is (or, being null, may elsewhere be) a list or a struct. */
function hasNested(v: unknown): boolean {
  if (!isStruct(v)) return false;
  for (const k in v) {
    const f = (v as Record<string, unknown>)[k];
    if (f === null || Array.isArray(f) || isStruct(f)) return true;
  }
  return false;
}

/** `h` with the entry cap checked before its handler runs. */
export function withEntryLimit<Req extends object, Res extends object>(h: Handler<Req, Res>): Handler<Req, Res> {
  if (UNCAPPED.has(h.key)) return h;
  const api = API_CODECS.get(h.key)?.name ?? `key ${h.key}`;
  return {
    ...h,
    handle(ctx, req) {
      const max = ctx.config.int('runnel.request.max.entries');
      if (entriesOver(req, max)) {
        ctx.log.warn({ api, version: ctx.version, limit: max }, 'request lists more entries than runnel.request.max.entries: closing the connection');
        ctx.conn.close(`${api} request over runnel.request.max.entries (${max})`);
        return null;
      }
      return h.handle(ctx, req);
    },
  };
}
