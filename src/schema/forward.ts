/**
 * Where the registry's writes are made (the SchemaWriter seam): by the broker that leads
 * `_schemas` partition 0, the one writer, so ids stay unique. Any other broker forwards a write it
 * receives (POST a version, DELETE a subject or version, PUT/DELETE config and mode) over HTTP to
 * that leader's registry listener and relays its answer, as Confluent's registry forwards writes
 * to its leader. Reads are answered from the local store (the local replica of `_schemas`).
 *
 * One node: every write is local (LOCAL_SCHEMA_WRITER). A cluster: LeaderSchemaWriter, given who
 * leads `_schemas`-0 and where each broker's registry listens (RegistryCluster, from the metadata
 * image). A write arriving while no leader is known is 500 / error_code 50004 (Confluent's unknown
 * leader); a forward that fails or times out (runnel.schema.registry.forward.timeout.ms) is 500 /
 * 50003, and so is a forwarded write reaching a broker that does not lead either (leadership is
 * moving: forwarding it again could loop).
 *
 * Read-your-write through a follower: the leader answers a write with the `_schemas` offset its
 * store has applied (header x-runnel-schemas-offset); the forwarding broker waits (bounded by
 * runnel.schema.registry.store.timeout.ms) until its own store has read that far before it
 * relays the answer, so the client's next read there sees its write.
 */
import { request as httpsRequest } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { Leadership } from '../data/leadership.js';
import { SCHEMAS_TOPIC } from '../data/internal-topic.js';

/** Marks a forwarded request (never forwarded again). */
export const FORWARDED_HEADER = 'x-runnel-forwarded';
/** On a write's answer: the `_schemas` offset the leader's store has applied. */
export const APPLIED_OFFSET_HEADER = 'x-runnel-schemas-offset';

export type WriteRoute = { kind: 'local' } | { kind: 'forward'; url: string } | { kind: 'unavailable'; reason: string };

export interface SchemaWriter {
  /** Runs before `route` for every write (a cluster: `_schemas` is created first, so its leader is known). */
  prepare?(): Promise<void>;
  /** Where a write received now goes. */
  route(): WriteRoute;
}

const LOCAL: WriteRoute = { kind: 'local' };

/** One node: every write is made here. */
export const LOCAL_SCHEMA_WRITER: SchemaWriter = { route: () => LOCAL };

/** What a cluster tells the registry (the lead wires it from the metadata image). */
export interface RegistryCluster {
  /** The broker leading `_schemas` partition 0; -1 when there is none (an election under way). */
  schemasLeader(): number;
  /** Base URL (`http://host:port`) of a broker's schema registry listener; null when it has none. */
  registryAddressOf(brokerId: number): string | null;
}

/**
 * A cluster: writes are made here while this broker leads `_schemas`-0, else forwarded to the
 * leader. The first write creates `_schemas` on the broker that receives it (`prepare`): the
 * partition's leader is then whichever broker the placement chose, which may be another one.
 */
export class LeaderSchemaWriter implements SchemaWriter {
  constructor(
    private readonly leadership: Leadership,
    private readonly cluster: RegistryCluster,
    /** Whether `_schemas` exists. */
    private readonly topicExists: () => boolean,
    /** Creates `_schemas` if it does not exist (resolves once this broker applied its creation). */
    private readonly ensureTopic: () => Promise<void> = async () => undefined,
  ) {}

  async prepare(): Promise<void> {
    if (!this.topicExists()) await this.ensureTopic();
  }

  route(): WriteRoute {
    if (this.leadership.isLeader(SCHEMAS_TOPIC, 0) || !this.topicExists()) return LOCAL;
    const leader = this.cluster.schemasLeader();
    if (leader < 0) return { kind: 'unavailable', reason: `no broker leads ${SCHEMAS_TOPIC} partition 0 right now` };
    const url = this.cluster.registryAddressOf(leader);
    if (url === null) return { kind: 'unavailable', reason: `broker ${leader} leads ${SCHEMAS_TOPIC} partition 0 but serves no schema registry` };
    return { kind: 'forward', url };
  }
}

export interface ForwardedAnswer {
  status: number;
  payload: string;
  /** The leader's applied `_schemas` offset after the write (null: not given). */
  appliedOffset: number | null;
}

/**
 * Sends a write to the leader's registry (`url` + the request's path and query) and returns its
 * answer; throws on a connection error or after `timeoutMs`.
 */
export async function forwardWrite(
  url: string,
  method: string,
  pathAndQuery: string,
  body: unknown,
  contentType: string,
  timeoutMs: number,
  authorization?: string,
  /** CAs for an https:// leader (the broker's trust store); fetch would trust the system CAs only. */
  ca?: SecureContextOptions['ca'],
): Promise<ForwardedAnswer> {
  if (ca !== undefined && url.startsWith('https:')) return forwardOverHttps(new URL(pathAndQuery, url), method, body, contentType, timeoutMs, authorization, ca);
  const res = await fetch(new URL(pathAndQuery, url), {
    method,
    // The client's credentials go along: the leader's registry authenticates the write itself.
    headers: { 'content-type': contentType, accept: contentType, [FORWARDED_HEADER]: '1', ...(authorization === undefined ? {} : { authorization }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const payload = await res.text();
  const applied = Number(res.headers.get(APPLIED_OFFSET_HEADER) ?? NaN);
  return { status: res.status, payload, appliedOffset: Number.isSafeInteger(applied) && applied >= 0 ? applied : null };
}

/** forwardWrite to an https:// leader whose certificate chains to `ca` (node:https: fetch takes no CA). */
function forwardOverHttps(target: URL, method: string, body: unknown, contentType: string, timeoutMs: number, authorization: string | undefined, ca: SecureContextOptions['ca']): Promise<ForwardedAnswer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      target,
      {
        method,
        ca,
        timeout: timeoutMs,
        headers: { 'content-type': contentType, accept: contentType, [FORWARDED_HEADER]: '1', ...(authorization === undefined ? {} : { authorization }), ...(payload === undefined ? {} : { 'content-length': Buffer.byteLength(payload) }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const applied = Number(res.headers[APPLIED_OFFSET_HEADER] ?? NaN);
          resolve({ status: res.statusCode ?? 500, payload: Buffer.concat(chunks).toString('utf8'), appliedOffset: Number.isSafeInteger(applied) && applied >= 0 ? applied : null });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
