/**
 * The main thread's side of schema parsing: jobs go to one worker thread (parse-worker.ts), one at
 * a time, in arrival order. The worker is shared by every registry in the process (it keeps no
 * state but a cache keyed by schema texts), started on the first job and unref'd, so a broker
 * that never parses a schema never starts it and an idle one never keeps the process alive.
 *
 * A job still running after runnel.schema.registry.parse.timeout.ms fails with 42201, and the
 * worker is terminated and replaced for the next job. A worker that dies (e.g. out of its heap,
 * capped by WORKER_HEAP_MB so a schema cannot take the broker's memory) fails the job it had.
 *
 * Where the worker file is depends on how Runnel runs: from TypeScript sources (tests: loaded
 * through tsx), from tsc's output (dist/src/schema/parse-worker.js, the embedding API), or from
 * the bundle (dist/schema-parse-worker.mjs, an entry of scripts/bundle.mjs beside dist/runnel.mjs
 * and dist/chunks/).
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { RegistryError, RegistryErrors } from './errors.js';
import type { CompatibilityLevel } from './compatibility.js';
import type { SchemaLimits } from './limits.js';
import type { ParseAnswer, ParseJob, SchemaTexts } from './parse-worker.js';

/** Old-generation heap of the worker: parsing a schema at the default limits needs far less. */
const WORKER_HEAP_MB = 512;

type JobBody = ParseJob extends infer J ? (J extends unknown ? Omit<J, 'seq'> : never) : never;

interface Pending {
  job: ParseJob;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

function workerSource(): { file: URL; viaTsx: boolean } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { file: new URL('./parse-worker.ts', here), viaTsx: true };
  if (here.endsWith('/schema/parser.js')) return { file: new URL('./parse-worker.js', here), viaTsx: false };
  // The bundle: this code sits in dist/runnel.mjs or in a chunk of dist/chunks/.
  return { file: new URL(here.includes('/chunks/') ? '../schema-parse-worker.mjs' : './schema-parse-worker.mjs', here), viaTsx: false };
}

function startWorker(): Worker {
  const { file, viaTsx } = workerSource();
  const resourceLimits = { maxOldGenerationSizeMb: WORKER_HEAP_MB };
  if (!viaTsx) return new Worker(file, { resourceLimits });
  // TypeScript sources (vitest): register tsx's ESM hooks in the worker, then load the file.
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); });`;
  return new Worker(boot, { eval: true, resourceLimits });
}

export class SchemaParser {
  private worker: Worker | null = null;
  /** The worker loaded its modules (jobs are timed from then on, not from its start). */
  private workerReady = false;
  private readonly queue: Pending[] = [];
  private running: Pending | null = null;
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;

  /** Parses a schema (after its references) within `limits`: its compact text and identity. */
  parse(texts: SchemaTexts, limits: SchemaLimits): Promise<{ text: string; canonical: string }> {
    return this.submit({ op: 'parse', ...texts, limits }) as Promise<{ text: string; canonical: string }>;
  }

  /** Compatibility problems of `candidate` against `previous` (oldest first) under `level`. */
  compatibility(level: CompatibilityLevel, candidate: SchemaTexts, previous: Array<{ version: number } & SchemaTexts>, limits: SchemaLimits): Promise<string[]> {
    return this.submit({ op: 'compat', level, candidate, previous, limits }) as Promise<string[]>;
  }

  private submit(body: JobBody): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { ...body, seq: ++this.seq } as ParseJob, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.running || this.queue.length === 0) return;
    const w = this.ensureWorker();
    if (!this.workerReady) return; // its ready message calls next() again
    const p = this.queue.shift()!;
    this.running = p;
    w.ref(); // a job in flight keeps the process alive until it is answered
    this.timer = setTimeout(() => {
      this.fail(RegistryErrors.invalidSchema(`parsing took longer than runnel.schema.registry.parse.timeout.ms (${p.job.limits.parseTimeoutMs} ms)`));
    }, p.job.limits.parseTimeoutMs);
    w.postMessage(p.job);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker();
    this.workerReady = false;
    w.on('message', (a: ParseAnswer | 'ready') => {
      if (a !== 'ready') return this.answer(w, a);
      if (w !== this.worker) return;
      this.workerReady = true;
      this.next();
    });
    w.on('error', (e) => this.died(w, `the schema parser failed: ${e.message}`));
    w.on('exit', () => this.died(w, 'the schema parser stopped'));
    this.worker = w;
    return w;
  }

  private died(w: Worker, why: string): void {
    if (w !== this.worker) return;
    if (this.workerReady) return this.fail(RegistryErrors.invalidSchema(why));
    // It never started (a missing file, say): starting it again would fail the same way.
    this.worker = null;
    for (const p of this.queue.splice(0)) p.reject(new RegistryError(500, 500, `Internal server error: ${why}`));
  }

  private answer(w: Worker, a: ParseAnswer): void {
    const p = this.running;
    if (w !== this.worker || !p || p.job.seq !== a.seq) return;
    this.settle();
    w.unref();
    if ('error' in a) p.reject(new RegistryError(a.error.status, a.error.errorCode, a.error.message));
    else p.resolve(a.value);
    this.next();
  }

  /** Fails the running job and replaces the worker (it may be stuck or gone). */
  private fail(err: Error): void {
    const p = this.running;
    this.settle();
    const w = this.worker;
    this.worker = null;
    if (w) void w.terminate();
    p?.reject(err);
    this.next();
  }

  private settle(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = null;
  }
}

let shared: SchemaParser | undefined;
/** The process-wide parser. */
export function sharedSchemaParser(): SchemaParser {
  return (shared ??= new SchemaParser());
}
