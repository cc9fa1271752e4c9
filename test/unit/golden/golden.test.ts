/**
 * Golden frames: every request and response frame captured from real clients against Apache
 * Kafka (test/golden, see scripts/capture-golden.ts) must decode with our codecs — header and
 * body, no reader error, every byte consumed — and re-encode byte for byte, with the size
 * functions predicting the exact length.
 *
 * Frames of APIs not declared in API_CODECS, or at versions outside the declared range, are
 * listed as skipped with the reason (they become live tests as declarations are added).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_CODECS } from '../../../protocol/generated/index.js';
import { decodeFrame, describeDifference, encodeFrame, GOLDEN_DIR, loadGoldenIndex, type GoldenEntry } from './frames.js';

const index = loadGoldenIndex();
const byClient = new Map<string, GoldenEntry[]>();
for (const e of index.frames) {
  const list = byClient.get(e.client) ?? [];
  list.push(e);
  byClient.set(e.client, list);
}

describe('golden index', () => {
  it('has frames from every client', () => {
    expect([...byClient.keys()]).toEqual(expect.arrayContaining(['kafkajs', 'kcat', 'confluent-kafka-python', 'kafka-python', 'java']));
  });

  it('lists files that exist with the recorded size and sha256, one per (client, api, version, direction)', () => {
    const seen = new Set<string>();
    for (const e of index.frames) {
      const key = `${e.client}/${e.apiKey}/${e.version}/${e.direction}`;
      expect(seen.has(key), `duplicate entry ${key}`).toBe(false);
      seen.add(key);
      const path = join(GOLDEN_DIR, e.file);
      expect(existsSync(path), `${e.file} exists`).toBe(true);
      const bytes = readFileSync(path);
      expect(bytes.length, `${e.file} size`).toBe(e.size);
      expect(createHash('sha256').update(bytes).digest('hex'), `${e.file} sha256`).toBe(e.sha256);
      expect(e.size).toBeLessThanOrEqual(64 * 1024);
    }
  });
});

for (const [client, entries] of byClient) {
  describe(`${client} (${entries[0]!.clientVersion})`, () => {
    for (const e of entries) {
      const name = `${e.apiName} v${e.version} ${e.direction} (${e.file})`;
      const codec = API_CODECS.get(e.apiKey);
      if (codec === undefined) {
        it.skip(`${name} — API ${e.apiKey} ${e.apiName} is not declared`, () => {});
        continue;
      }
      if (e.version < codec.minVersion || e.version > codec.maxVersion) {
        it.skip(`${name} — v${e.version} is outside the declared versions ${codec.minVersion}-${codec.maxVersion}`, () => {});
        continue;
      }
      it(name, () => {
        const frame = readFileSync(join(GOLDEN_DIR, e.file));
        const decoded = decodeFrame(codec, e.direction, e.version, frame);
        if (e.direction === 'request') {
          const h = decoded.header as { apiKey: number; apiVersion: number };
          expect([h.apiKey, h.apiVersion], 'request header api key and version').toEqual([e.apiKey, e.version]);
        }
        expect(decoded.error, 'reader error').toBeNull();
        expect(decoded.trailing, 'bytes left after the body').toBe(0);

        const encoded = encodeFrame(codec, e.direction, e.version, decoded);
        if (!encoded.bytes.equals(frame)) throw new Error(describeDifference(frame, encoded.bytes, decoded.bodyOffset));
        expect(encoded.predictedSize, 'size function').toBe(frame.length);
      });
    }
  });
}
