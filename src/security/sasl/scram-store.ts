/**
 * Where SCRAM credentials live (DescribeUserScramCredentials / AlterUserScramCredentials write
 * them, SCRAM authentication reads them). Two implementations with one interface:
 *
 * FileScramStore (single node): `<data dir>/runnel-scram-credentials.json`, rewritten atomically
 * (temp + fsync + rename through the storage fs seam) on every change; persist first, then change
 * memory, writes serialized, so a failed write leaves memory and disk on the old state:
 *
 *   { "version": 1, "users": { "alice": { "SCRAM-SHA-512": { "salt": "<base64>",
 *       "storedKey": "<base64>", "serverKey": "<base64>", "iterations": 4096 } } } }
 *
 * EtcdScramStore (cluster mode): one key per user, `<prefix>/scram/<url-encoded user>`, holding
 * the same per-user object; every broker reads etcd when a client authenticates, so a change made
 * through any broker applies on all of them to the next authentication. Changes are
 * compare-and-swap on the key's mod revision, retried a few times when another change raced.
 *
 * Neither holds a password or salted password: only salt, StoredKey, ServerKey, iterations.
 */
import { type StorageFs, readTextIfExists, writeFileAtomic } from '../../../storage/fs.js';
import type { EtcdStore } from '../../cluster/etcd.js';
import { type ScramCredential, type ScramMechanism, SCRAM_MECHANISMS } from './scram-formulas.js';

export type UserCredentials = Map<ScramMechanism, ScramCredential>;

export interface ScramChange {
  user: string;
  mechanism: ScramMechanism;
  /** The new credential, or null to delete the user's credential of this mechanism. */
  credential: ScramCredential | null;
}

export interface ScramStore {
  get(user: string, mechanism: ScramMechanism): Promise<ScramCredential | null>;
  /** The credentials of `users`, or of every user when null. */
  describe(users: readonly string[] | null): Promise<Map<string, UserCredentials>>;
  /** Applies the changes (all or none for one user). */
  apply(changes: readonly ScramChange[]): Promise<void>;
}

export const SCRAM_FILE = 'runnel-scram-credentials.json';

interface StoredCredential {
  salt: string;
  storedKey: string;
  serverKey: string;
  iterations: number;
}

function toStored(c: ScramCredential): StoredCredential {
  return { salt: c.salt.toString('base64'), storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'), iterations: c.iterations };
}

function fromStored(s: StoredCredential): ScramCredential {
  return { salt: Buffer.from(s.salt, 'base64'), storedKey: Buffer.from(s.storedKey, 'base64'), serverKey: Buffer.from(s.serverKey, 'base64'), iterations: s.iterations };
}

function userFromStored(o: Record<string, StoredCredential>): UserCredentials {
  const out: UserCredentials = new Map();
  for (const m of SCRAM_MECHANISMS) if (o[m]) out.set(m, fromStored(o[m]!));
  return out;
}

function userToStored(u: UserCredentials): Record<string, StoredCredential> {
  const out: Record<string, StoredCredential> = {};
  for (const [m, c] of u) out[m] = toStored(c);
  return out;
}

function applyTo(u: UserCredentials | undefined, changes: readonly ScramChange[]): UserCredentials {
  const next: UserCredentials = new Map(u ?? []);
  for (const c of changes) {
    if (c.credential) next.set(c.mechanism, c.credential);
    else next.delete(c.mechanism);
  }
  return next;
}

function byUser(changes: readonly ScramChange[]): Map<string, ScramChange[]> {
  const out = new Map<string, ScramChange[]>();
  for (const c of changes) {
    const list = out.get(c.user) ?? [];
    list.push(c);
    out.set(c.user, list);
  }
  return out;
}

export class FileScramStore implements ScramStore {
  private users = new Map<string, UserCredentials>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private readonly fs: StorageFs,
  ) {}

  static async load(dir: string, fs: StorageFs): Promise<FileScramStore> {
    const store = new FileScramStore(dir, fs);
    const text = await readTextIfExists(fs, `${dir}/${SCRAM_FILE}`);
    if (text !== null) {
      const parsed = JSON.parse(text) as { version: number; users: Record<string, Record<string, StoredCredential>> };
      if (parsed.version !== 1) throw new Error(`${SCRAM_FILE}: unsupported version ${parsed.version}`);
      for (const [user, creds] of Object.entries(parsed.users)) store.users.set(user, userFromStored(creds));
    }
    return store;
  }

  async get(user: string, mechanism: ScramMechanism): Promise<ScramCredential | null> {
    return this.users.get(user)?.get(mechanism) ?? null;
  }

  async describe(users: readonly string[] | null): Promise<Map<string, UserCredentials>> {
    if (users === null) return new Map([...this.users].filter(([, c]) => c.size > 0));
    const out = new Map<string, UserCredentials>();
    for (const u of users) {
      const c = this.users.get(u);
      if (c && c.size > 0) out.set(u, c);
    }
    return out;
  }

  apply(changes: readonly ScramChange[]): Promise<void> {
    const run = this.writing.then(async () => {
      const next = new Map(this.users);
      for (const [user, list] of byUser(changes)) {
        const u = applyTo(next.get(user), list);
        if (u.size === 0) next.delete(user);
        else next.set(user, u);
      }
      const users: Record<string, Record<string, StoredCredential>> = {};
      for (const [user, creds] of next) users[user] = userToStored(creds);
      await writeFileAtomic(this.fs, this.dir, SCRAM_FILE, JSON.stringify({ version: 1, users }, null, 1));
      this.users = next;
    });
    this.writing = run.catch(() => undefined);
    return run;
  }
}

const ETCD_PREFIX = 'scram/';
const CAS_ATTEMPTS = 5;
const userKey = (user: string) => ETCD_PREFIX + encodeURIComponent(user);

export class EtcdScramStore implements ScramStore {
  constructor(private readonly etcd: EtcdStore) {}

  async get(user: string, mechanism: ScramMechanism): Promise<ScramCredential | null> {
    const { kv } = await this.etcd.get(userKey(user));
    if (!kv) return null;
    return userFromStored(JSON.parse(kv.value.toString('utf8'))).get(mechanism) ?? null;
  }

  async describe(users: readonly string[] | null): Promise<Map<string, UserCredentials>> {
    const out = new Map<string, UserCredentials>();
    if (users === null) {
      const { kvs } = await this.etcd.range(ETCD_PREFIX);
      for (const kv of kvs) {
        const creds = userFromStored(JSON.parse(kv.value.toString('utf8')));
        if (creds.size > 0) out.set(decodeURIComponent(kv.key.slice(ETCD_PREFIX.length)), creds);
      }
      return out;
    }
    for (const u of users) {
      const { kv } = await this.etcd.get(userKey(u));
      if (!kv) continue;
      const creds = userFromStored(JSON.parse(kv.value.toString('utf8')));
      if (creds.size > 0) out.set(u, creds);
    }
    return out;
  }

  async apply(changes: readonly ScramChange[]): Promise<void> {
    for (const [user, list] of byUser(changes)) {
      const key = userKey(user);
      for (let attempt = 1; ; attempt++) {
        const { kv } = await this.etcd.get(key);
        const next = applyTo(kv ? userFromStored(JSON.parse(kv.value.toString('utf8'))) : undefined, list);
        const op = next.size === 0 ? ({ op: 'delete', key } as const) : ({ op: 'put', key, value: JSON.stringify(userToStored(next)) } as const);
        const r = await this.etcd.txn([{ key, target: 'mod', result: '=', value: kv ? kv.modRevision : 0 }], [op]);
        if (r.succeeded) break;
        if (attempt >= CAS_ATTEMPTS) throw new Error(`SCRAM credentials of ${user} changed concurrently ${CAS_ATTEMPTS} times`);
      }
    }
  }
}
