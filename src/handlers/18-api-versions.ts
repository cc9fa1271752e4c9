/**
 * ApiVersions (key 18), versions 0-4.
 *
 * Lists every API key with the version range its handler serves, built from the handler registry.
 * The response header is always v0 (see protocol/headers.ts). A request at a version above ours is
 * answered by the connection with UNSUPPORTED_VERSION and our ranges encoded as v0, so the client
 * can retry at a version we know.
 * v1+ adds throttle time; v3+ is flexible and carries the client's software name and version
 * (logged at debug level), plus the tagged feature fields (src/features/): supported ranges,
 * finalized levels and their epoch. Before v4, supported ranges starting at 0 are left out, as
 * Kafka leaves them out (KAFKA-17011: older clients reject a minimum of 0).
 */
import type { ApiVersionsRequest, ApiVersionsResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';

export default defineHandler<ApiVersionsRequest, ApiVersionsResponse>({
  key: 18,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req) {
    if (ctx.version >= 3) ctx.log.debug({ client: req.clientSoftwareName, clientVersion: req.clientSoftwareVersion }, 'client software');
    const res = ctx.apiVersions.apiVersionsResponse(ErrorCode.NONE);
    if (ctx.version >= 3) Object.assign(res, ctx.features.apiVersionsFields(ctx.version));
    return res;
  },
  errorResponse(ctx, _req, code) {
    return ctx.apiVersions.apiVersionsResponse(code);
  },
});
