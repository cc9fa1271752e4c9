/**
 * The schema registry's parsing thread: avsc parses (and checks compatibility) here, so a large
 * schema costs this thread its time and never the broker's event loop, where the Kafka listeners
 * run. The main thread (parser.ts) sends one job at a time and waits for its answer:
 *
 *   { seq, op: 'parse',  schema, referenced, limits }            → { text, canonical }
 *   { seq, op: 'compat', level, candidate, previous, limits }    → problems: string[]
 *
 * `referenced` lists the texts of the referenced schemas, dependencies first; `previous` the
 * versions to check against (oldest first). Failures answer { seq, error: { status, errorCode,
 * message } } (a RegistryError's fields: class instances do not cross threads).
 *
 * Parsed previous versions are kept in a small cache keyed by their texts, so checking the
 * versions of a subject again (transitive levels check all of them) does not parse them again.
 */
import { parentPort } from 'node:worker_threads';
import type { Type } from 'avsc';
import { loadAvsc, parseAvro } from './avro.js';
import { checkCompatibility, type CompatibilityLevel } from './compatibility.js';
import type { SchemaLimits } from './limits.js';

export interface SchemaTexts {
  schema: string;
  referenced: string[];
}

export type ParseJob =
  | ({ seq: number; op: 'parse'; limits: SchemaLimits } & SchemaTexts)
  | { seq: number; op: 'compat'; level: CompatibilityLevel; candidate: SchemaTexts; previous: Array<{ version: number } & SchemaTexts>; limits: SchemaLimits };

export type ParseAnswer = { seq: number; value: unknown } | { seq: number; error: { status: number; errorCode: number; message: string } };

const CACHE_SIZE = 32;
const cache = new Map<string, Type>();

/** Previous versions were accepted when registered, so they are parsed without the limits. */
function previousType(t: SchemaTexts): Type {
  const key = `${t.referenced.join('\u0000')}\u0001${t.schema}`;
  let type = cache.get(key);
  if (type) {
    cache.delete(key); // re-inserted below: most recently used last
  } else {
    type = parseAvro(t.schema, t.referenced).type;
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, type);
  return type;
}

function run(job: ParseJob): unknown {
  if (job.op === 'parse') {
    const parsed = parseAvro(job.schema, job.referenced, job.limits);
    return { text: parsed.text, canonical: parsed.canonical };
  }
  const candidate = parseAvro(job.candidate.schema, job.candidate.referenced, job.limits).type;
  const previous: Array<{ version: number; type: Type }> = [];
  for (const p of job.previous) {
    try {
      previous.push({ version: p.version, type: previousType(p) });
    } catch {
      // A registered version that no longer parses is skipped, as the main thread did.
    }
  }
  return checkCompatibility(job.level, candidate, previous);
}

parentPort?.on('message', (job: ParseJob) => {
  let answer: ParseAnswer;
  try {
    answer = { seq: job.seq, value: run(job) };
  } catch (e) {
    const err = e as { name?: string; status?: number; errorCode?: number; message?: string };
    answer =
      err.name === 'RegistryError'
        ? { seq: job.seq, error: { status: err.status!, errorCode: err.errorCode!, message: err.message! } }
        : { seq: job.seq, error: { status: 422, errorCode: 42201, message: `Invalid schema: ${err.message ?? String(e)}` } };
  }
  parentPort!.postMessage(answer);
});
// Loaded (avsc too): jobs are timed from now on (parser.ts).
loadAvsc();
parentPort?.postMessage('ready');
