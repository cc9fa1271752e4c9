/**
 * ApiVersions (key 18) through the registry port: every registered API with the version range its
 * handler declares, sorted by key — what is advertised is what is served.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { newApiVersionsRequest, type ApiVersionsResponse } from '../../../protocol/generated/index.js';
import { ALL_HANDLERS } from '../../../src/handlers/registry.js';
import { fakeBroker } from './fakes.js';

describe('ApiVersions', () => {
  it('lists every handler with its versions, sorted by key', async () => {
    const b = fakeBroker();
    try {
      const res = await b.handle<ApiVersionsResponse>(18, 3, newApiVersionsRequest({ clientSoftwareName: 'unit', clientSoftwareVersion: '1' }));
      expect(res.errorCode).toBe(ErrorCode.NONE);
      const expected = [...ALL_HANDLERS].sort((x, y) => x.key - y.key).map((h) => ({ apiKey: h.key, minVersion: h.minVersion, maxVersion: h.maxVersion }));
      expect(res.apiKeys.map((k) => ({ apiKey: k.apiKey, minVersion: k.minVersion, maxVersion: k.maxVersion }))).toEqual(expected);
      expect(res.apiKeys.find((k) => k.apiKey === 0)).toMatchObject({ minVersion: 0, maxVersion: 13 });
    } finally {
      b.close();
    }
  });
});
