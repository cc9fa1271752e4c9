/**
 * A client for the Confluent Schema Registry REST API (what Runnel's registry, Confluent's and
 * Karapace serve), over plain fetch: subjects, versions, schemas by id, compatibility checks.
 * Errors come back as {error_code, message}; they are raised with both.
 */
export interface SchemaVersion {
  subject: string;
  version: number;
  id: number;
  schema: string;
  schemaType?: string;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export class SchemaRegistryError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errorCode: number | null,
  ) {
    super(message);
    this.name = 'SchemaRegistryError';
  }
}

export class SchemaRegistryClient {
  private readonly base: string;
  private readonly byId = new Map<number, Promise<{ schema: string; schemaType?: string }>>();

  constructor(url: string) {
    if (!/^https?:\/\//.test(url)) throw new Error(`schema registry URL '${url}' must start with http:// or https://`);
    this.base = url.replace(/\/+$/, '');
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: { Accept: `${CONTENT_TYPE}, application/json`, ...(body === undefined ? {} : { 'Content-Type': CONTENT_TYPE }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`cannot reach the schema registry at ${this.base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON: reported below with the status
    }
    if (!res.ok) {
      const e = json as { error_code?: number; message?: string } | null;
      throw new SchemaRegistryError(`schema registry ${method} ${path}: ${e?.message ?? (text.slice(0, 200) || res.statusText)} (HTTP ${res.status}${e?.error_code ? `, error ${e.error_code}` : ''})`, res.status, e?.error_code ?? null);
    }
    return json as T;
  }

  async register(subject: string, schema: string, schemaType = 'AVRO'): Promise<number> {
    const body = schemaType === 'AVRO' ? { schema } : { schema, schemaType };
    const res = await this.call<{ id: number }>('POST', `/subjects/${encodeURIComponent(subject)}/versions`, body);
    return res.id;
  }

  getVersion(subject: string, version: number | 'latest'): Promise<SchemaVersion> {
    return this.call<SchemaVersion>('GET', `/subjects/${encodeURIComponent(subject)}/versions/${version}`);
  }

  getById(id: number): Promise<{ schema: string; schemaType?: string }> {
    let p = this.byId.get(id);
    if (!p) {
      p = this.call<{ schema: string; schemaType?: string }>('GET', `/schemas/ids/${id}`);
      this.byId.set(id, p);
      p.catch(() => this.byId.delete(id));
    }
    return p;
  }

  listSubjects(): Promise<string[]> {
    return this.call<string[]>('GET', '/subjects');
  }

  listVersions(subject: string): Promise<number[]> {
    return this.call<number[]>('GET', `/subjects/${encodeURIComponent(subject)}/versions`);
  }

  /** Whether `schema` may be registered as a new version of `subject` (against `version`). */
  async checkCompatibility(subject: string, schema: string, version: number | 'latest' = 'latest', schemaType = 'AVRO'): Promise<{ compatible: boolean; messages: string[] }> {
    const body = schemaType === 'AVRO' ? { schema } : { schema, schemaType };
    const res = await this.call<{ is_compatible: boolean; messages?: string[] }>('POST', `/compatibility/subjects/${encodeURIComponent(subject)}/versions/${version}?verbose=true`, body);
    return { compatible: res.is_compatible, messages: res.messages ?? [] };
  }
}
