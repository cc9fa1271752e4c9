/**
 * The registry's REST API over node:http: Confluent's routes, content type and error bodies, so
 * existing serializers (@kafkajs/confluent-schema-registry, confluent-kafka-python, the Java
 * KafkaAvroSerializer) work unchanged. This file only routes: parse the path and body, call the
 * SchemaRegistry method, write JSON. Path segments are URL-decoded (subjects may contain '/'
 * as %2F). Request bodies are accepted with any JSON-ish content type, up to
 * runnel.schema.registry.max.request.bytes: a larger one (by its Content-Length, or counted as it
 * arrives) is answered 413 at once, and the rest of it is read and thrown away so that the client,
 * still sending, receives the 413 rather than a connection reset — up to DRAIN_FACTOR times the
 * limit, after which the connection is closed.
 *
 * Writes go through the SchemaWriter seam (forward.ts): made here when this broker leads
 * `_schemas` partition 0 (always, on one node), else forwarded to the leader's registry and its
 * answer relayed.
 *
 * Logs: one debug line per request (method, route, status, ms), errors at warn/error; never
 * schema texts or bodies.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import { RegistryError, RegistryErrors } from './errors.js';
import { BASIC_CHALLENGE, type HttpSecurity } from '../security/http-security.js';
import { APPLIED_OFFSET_HEADER, FORWARDED_HEADER, LOCAL_SCHEMA_WRITER, forwardWrite, type SchemaWriter, type WriteRoute } from './forward.js';
import { SCHEMAS_TOPIC } from '../data/internal-topic.js';
import { SCHEMA_TYPES, type SchemaInput, type SchemaRegistry } from './registry.js';

export const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
/** How much of an oversized body is drained (in multiples of the limit) before the socket is cut. */
const DRAIN_FACTOR = 8;

interface Request {
  method: string;
  segments: string[];
  query: URLSearchParams;
  body: () => Promise<unknown>;
}

/** A route's result: JSON value, or a raw string written as is (the /schema endpoints). */
type Result = unknown;
type Handler = (req: Request, params: string[]) => Result | Promise<Result>;

class Raw {
  constructor(readonly text: string) {}
}

function flag(q: URLSearchParams, name: string): boolean {
  return q.get(name)?.toLowerCase() === 'true';
}

function schemaId(text: string): number {
  const id = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(id)) throw RegistryErrors.schemaNotFound();
  return id;
}

async function schemaBody(req: Request): Promise<SchemaInput> {
  const body = await req.body();
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw RegistryErrors.unprocessable('Request body must be a JSON object');
  return body as SchemaInput;
}

/**
 * Routes as [method, pattern, handler]; a pattern segment '*' captures one path segment.
 * Order matters only between literal and '*' at the same position (literal first).
 */
function routes(r: SchemaRegistry): Array<[string, string[], Handler]> {
  return [
    ['GET', [], () => ({})],
    ['GET', ['schemas', 'types'], () => [...SCHEMA_TYPES]],
    ['GET', ['schemas', 'ids', '*'], (_q, [id]) => r.schemaById(schemaId(id!))],
    ['GET', ['schemas', 'ids', '*', 'schema'], (_q, [id]) => new Raw(r.schemaById(schemaId(id!)).schema)],
    ['GET', ['schemas', 'ids', '*', 'versions'], (q, [id]) => r.schemaVersions(schemaId(id!), flag(q.query, 'deleted'))],
    ['GET', ['schemas', 'ids', '*', 'subjects'], (q, [id]) => r.schemaSubjects(schemaId(id!), flag(q.query, 'deleted'))],
    ['GET', ['subjects'], (q) => r.subjects(flag(q.query, 'deleted'), q.query.get('subjectPrefix') ?? '')],
    ['POST', ['subjects', '*'], async (q, [s]) => r.lookup(s!, await schemaBody(q), flag(q.query, 'deleted'))],
    ['DELETE', ['subjects', '*'], (q, [s]) => r.deleteSubject(s!, flag(q.query, 'permanent'))],
    ['GET', ['subjects', '*', 'versions'], (q, [s]) => r.versions(s!, flag(q.query, 'deleted'))],
    ['POST', ['subjects', '*', 'versions'], async (q, [s]) => r.register(s!, await schemaBody(q))],
    ['GET', ['subjects', '*', 'versions', '*'], (q, [s, v]) => r.version(s!, v!, flag(q.query, 'deleted'))],
    ['DELETE', ['subjects', '*', 'versions', '*'], (q, [s, v]) => r.deleteVersion(s!, v!, flag(q.query, 'permanent'))],
    ['GET', ['subjects', '*', 'versions', '*', 'schema'], (q, [s, v]) => new Raw(r.version(s!, v!, flag(q.query, 'deleted')).schema)],
    ['GET', ['subjects', '*', 'versions', '*', 'referencedby'], (_q, [s, v]) => r.referencedBy(s!, v!)],
    ['POST', ['compatibility', 'subjects', '*', 'versions'], async (q, [s]) => compat(await r.testCompatibility(s!, null, await schemaBody(q)), q)],
    ['POST', ['compatibility', 'subjects', '*', 'versions', '*'], async (q, [s, v]) => compat(await r.testCompatibility(s!, v!, await schemaBody(q)), q)],
    ['GET', ['config'], () => r.getConfig(null, true)],
    ['PUT', ['config'], async (q) => r.setConfig(null, await q.body())],
    ['DELETE', ['config'], () => r.deleteConfig(null)],
    ['GET', ['config', '*'], (q, [s]) => r.getConfig(s!, flag(q.query, 'defaultToGlobal'))],
    ['PUT', ['config', '*'], async (q, [s]) => r.setConfig(s!, await q.body())],
    ['DELETE', ['config', '*'], (_q, [s]) => r.deleteConfig(s!)],
    ['GET', ['mode'], () => r.getMode(null, true)],
    ['PUT', ['mode'], async (q) => r.setMode(null, await q.body(), flag(q.query, 'force'))],
    ['GET', ['mode', '*'], (q, [s]) => r.getMode(s!, flag(q.query, 'defaultToGlobal'))],
    ['PUT', ['mode', '*'], async (q, [s]) => r.setMode(s!, await q.body(), flag(q.query, 'force'))],
    ['DELETE', ['mode', '*'], (_q, [s]) => r.deleteMode(s!)],
  ];
}

/** The routes that change the registry (made by the leader of `_schemas`-0: forward.ts). */
const WRITE_ROUTES: ReadonlySet<string> = new Set([
  'POST /subjects/*/versions',
  'DELETE /subjects/*',
  'DELETE /subjects/*/versions/*',
  'PUT /config',
  'DELETE /config',
  'PUT /config/*',
  'DELETE /config/*',
  'PUT /mode',
  'PUT /mode/*',
  'DELETE /mode/*',
]);

function compat(result: { is_compatible: boolean; messages: string[] }, q: Request): unknown {
  return flag(q.query, 'verbose') ? result : { is_compatible: result.is_compatible };
}

function match(pattern: string[], segments: string[]): string[] | null {
  if (pattern.length !== segments.length) return null;
  const params: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '*') params.push(segments[i]!);
    else if (pattern[i] !== segments[i]) return null;
  }
  return params;
}

/** Reads and parses a JSON body of at most `max` bytes (see the file comment for larger ones). */
function readBody(req: IncomingMessage, max: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let discarding = false;
    const tooLarge = () => {
      discarding = true;
      chunks.length = 0;
      reject(RegistryErrors.payloadTooLarge(max));
    };
    if (Number(req.headers['content-length']) > max) tooLarge();
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (discarding) {
        if (size > max * DRAIN_FACTOR) req.socket.destroy();
        return;
      }
      if (size > max) return tooLarge();
      chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (discarding) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(null);
      try {
        resolve(JSON.parse(text));
      } catch (e) {
        reject(RegistryErrors.badRequest(`Request body is not valid JSON: ${(e as Error).message}`));
      }
    });
  });
}

export class RegistryHttpServer {
  private readonly server: Server;
  private readonly table: Array<[string, string[], Handler]>;

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly logger: Logger,
    private readonly maxRequestBytes: number,
    private readonly writer: SchemaWriter = LOCAL_SCHEMA_WRITER,
    /** Basic auth and HTTPS (http-security.ts); null: plain HTTP, no authentication. */
    private readonly security: HttpSecurity | null = null,
    useTls = false,
  ) {
    this.table = routes(registry);
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.handle(req, res);
    this.server = security ? security.createServer(useTls, handler) : createServer(handler);
    this.server.keepAliveTimeout = 30_000;
  }

  /** Binds host:port (0 = any free port); resolves with the bound address. */
  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        this.server.on('error', (err) => this.logger.error({ err }, 'schema registry listener error'));
        const addr = this.server.address();
        resolve({ host, port: typeof addr === 'object' && addr ? addr.port : port });
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = performance.now();
    const method = req.method ?? 'GET';
    let route = '?';
    let status = 200;
    let payload: string;
    const headers: Record<string, string | number> = {};
    try {
      // Authentication before routing: without credentials nothing, not even a 404, is answered.
      const auth = this.security?.authenticate(req) ?? null;
      if (auth !== null && !auth.ok) {
        // Closed after the answer: the body it may be sending is not read for an unknown client.
        Object.assign(headers, BASIC_CHALLENGE, { connection: 'close' });
        throw new RegistryError(401, 401, 'Unauthorized');
      }
      const url = new URL(req.url ?? '/', 'http://registry');
      let segments: string[];
      try {
        segments = url.pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
      } catch {
        throw RegistryErrors.badRequest('Malformed URL encoding in the path');
      }
      let handler: Handler | null = null;
      let params: string[] = [];
      let pathMatched = false;
      for (const [m, pattern, h] of this.table) {
        const p = match(pattern, segments);
        if (!p) continue;
        pathMatched = true;
        if (m !== method) continue;
        handler = h;
        params = p;
        route = `${m} /${pattern.join('/')}`;
        break;
      }
      if (!handler) throw pathMatched ? RegistryErrors.methodNotAllowed() : RegistryErrors.notFound();
      let bodyPromise: Promise<unknown> | null = null;
      const body = (): Promise<unknown> => (bodyPromise ??= readBody(req, this.maxRequestBytes));
      const write = WRITE_ROUTES.has(route);
      if (write && auth !== null && auth.ok && auth.role !== 'read-write') {
        headers.connection = 'close'; // its body is not read either
        throw new RegistryError(403, 40301, `User ${auth.user} is denied operation Write: the read-only role`);
      }
      if (write) {
        await this.writer.prepare?.().catch((e: unknown) => {
          throw RegistryErrors.storeError(`creating ${SCHEMAS_TOPIC}: ${(e as Error).message}`);
        });
      }
      const target = write ? this.writer.route() : null;
      if (target !== null && target.kind !== 'local') {
        ({ status, payload } = await this.forward(req, target, body));
      } else {
        const result = await handler({ method, segments, query: url.searchParams, body }, params);
        payload = result instanceof Raw ? result.text : JSON.stringify(result);
        if (write) headers[APPLIED_OFFSET_HEADER] = this.registry.appliedOffset;
      }
    } catch (e) {
      const err = e instanceof RegistryError ? e : null;
      status = err ? err.status : 500;
      payload = JSON.stringify(err ? err.body() : { error_code: 500, message: `Internal server error: ${(e as Error).message}` });
      if (!err) this.logger.error({ err: e, method, route }, 'schema registry request failed');
    }
    if (!res.headersSent) {
      // A 413 leaves the connection open while the rest of the body drains (readBody): closing it
      // mid-body would reset it, and the client, still sending, would never read this answer.
      res.writeHead(status, { ...headers, 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    }
    if (this.logger.isLevelEnabled('debug')) this.logger.debug({ method, route, status, ms: Math.round((performance.now() - t0) * 10) / 10 }, 'schema registry request');
  }

  /** A write this broker does not make: to the leader's registry, whose answer is relayed (forward.ts). */
  private async forward(req: IncomingMessage, target: Exclude<WriteRoute, { kind: 'local' }>, body: () => Promise<unknown>): Promise<{ status: number; payload: string }> {
    if (target.kind === 'unavailable') throw RegistryErrors.unknownLeader(target.reason);
    if (req.headers[FORWARDED_HEADER] !== undefined) throw RegistryErrors.forwardingFailed('it was forwarded to a broker that does not lead _schemas either (leadership is moving); retry');
    const method = req.method ?? 'GET';
    const sent = method === 'POST' || method === 'PUT' ? await body() : undefined;
    const timeoutMs = this.registry.limits.forwardTimeoutMs;
    let answer;
    try {
      answer = await forwardWrite(target.url, method, req.url ?? '/', sent ?? undefined, CONTENT_TYPE, timeoutMs, req.headers.authorization, this.security?.trustedCas());
    } catch (e) {
      this.logger.warn({ leader: target.url, err: (e as Error).message }, 'forwarding a schema registry write failed');
      throw RegistryErrors.forwardingFailed((e as Error).message);
    }
    // Read-your-write here: the client's next read on this broker sees what it wrote.
    if (answer.status < 300 && answer.appliedOffset !== null) {
      await this.registry.readUpTo(answer.appliedOffset, this.registry.limits.storeTimeoutMs).catch((e: unknown) => {
        this.logger.warn({ err: (e as Error).message }, 'the forwarded write is not readable here yet');
      });
    }
    return { status: answer.status, payload: answer.payload };
  }
}
