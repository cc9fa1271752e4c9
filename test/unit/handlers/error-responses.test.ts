/**
 * Every served API has an error response: an unexpected exception in a handler answers the request
 * with UNKNOWN_SERVER_ERROR (or the KafkaError's code) instead of closing the connection, and that
 * response encodes at every version the API advertises.
 */
import { describe, expect, it } from 'vitest';
import { ALL_HANDLERS } from '../../../src/handlers/registry.js';
import { API_CODECS } from '../../../protocol/generated/index.js';
import { Writer } from '../../../protocol/primitives.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { RequestContext } from '../../../src/handlers/types.js';

const node = { clusterId: 'test-cluster', nodeId: 1, controllerId: 1 };
const apiVersions = { apiVersionsResponse: (errorCode: number) => ({ errorCode, apiKeys: [], throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1, finalizedFeatures: [], zkMigrationReady: false }) };
const ctx = (version: number) => ({ version, node, apiVersions, header: { apiVersion: version } }) as unknown as RequestContext;

describe('error responses', () => {
  for (const h of ALL_HANDLERS) {
    const codec = API_CODECS.get(h.key)!;
    it(`${codec.name} (key ${h.key}) answers a failure at every version ${h.minVersion}-${h.maxVersion}`, () => {
      expect(h.errorResponse, `${codec.name} has no errorResponse`).toBeTypeOf('function');
      for (let v = h.minVersion; v <= h.maxVersion; v++) {
        const res = h.errorResponse!(ctx(v), codec.newRequest() as never, ErrorCode.UNKNOWN_SERVER_ERROR, 'boom');
        const w = new Writer(codec.sizeResponse(v, res));
        codec.encodeResponse(w, v, res);
        expect(w.finish().length).toBe(codec.sizeResponse(v, res));
      }
    });
  }
});
