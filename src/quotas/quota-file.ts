/**
 * Single-node storage of client quotas: `<data dir>/client-quotas.json`, rewritten atomically
 * (temp + fsync + rename) through the StorageFs seam on every AlterClientQuotas. A file that
 * does not parse stops the start (like runnel-metadata.json): quotas silently gone would let
 * every client run unthrottled.
 */
import { join } from 'node:path';
import { readTextIfExists, writeFileAtomic, type StorageFs } from '../../storage/fs.js';
import { BrokerStartError } from '../errors.js';
import { parseRecords, type QuotaBackend, type QuotaRecord } from './quota-store.js';

export const CLIENT_QUOTAS_FILE = 'client-quotas.json';

export class QuotaFile implements QuotaBackend {
  constructor(
    private readonly dataDir: string,
    private readonly fs: StorageFs,
  ) {}

  async load(): Promise<QuotaRecord[]> {
    const text = await readTextIfExists(this.fs, join(this.dataDir, CLIENT_QUOTAS_FILE));
    if (text === null) return [];
    try {
      const parsed = JSON.parse(text) as { quotas?: unknown };
      return parseRecords(parsed.quotas);
    } catch (err) {
      throw new BrokerStartError(`${join(this.dataDir, CLIENT_QUOTAS_FILE)} cannot be read: ${(err as Error).message}. Restore it, or delete it to start without client quotas.`);
    }
  }

  async write(_changed: readonly QuotaRecord[], all: readonly QuotaRecord[]): Promise<void> {
    await writeFileAtomic(this.fs, this.dataDir, CLIENT_QUOTAS_FILE, JSON.stringify({ version: 1, quotas: all }, null, 1));
  }
}
