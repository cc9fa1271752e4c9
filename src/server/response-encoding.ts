/**
 * A handler's response as the bytes the connection writes: size prefix, response header (v0 or
 * flexible, per API and version), then the body from the API's codec. File slices (Fetch records)
 * stay slices: the buffer is sized without them and the writer sends them in place.
 *
 * An ApiVersions reply to a version we do not serve is encoded as v0 (Kafka's rule: the client
 * can always read it and pick a version from our ranges).
 */
import { Writer } from '../../protocol/primitives.js';
import { API_VERSIONS_KEY, responseHeaderFlexible, responseHeaderSize, writeResponseHeader, type RequestHeader } from '../../protocol/headers.js';
import type { ApiCodec } from '../../protocol/codec-support.js';
import type { Handler } from '../handlers/types.js';
import type { Chunk } from './response-writer.js';

/** True for an ApiVersions request at a version above ours (answered with UNSUPPORTED_VERSION as v0). */
export function isUnsupportedApiVersions(header: RequestHeader, handler: Handler): boolean {
  return header.apiKey === API_VERSIONS_KEY && header.apiVersion > handler.maxVersion;
}

export function encodeResponse(header: RequestHeader, handler: Handler, codec: ApiCodec, res: object): Chunk[] {
  const version = isUnsupportedApiVersions(header, handler) ? 0 : header.apiVersion;
  const flexible = codec.flexibleFrom >= 0 && version >= codec.flexibleFrom;
  const headerFlexible = responseHeaderFlexible(header.apiKey, flexible);
  const size = responseHeaderSize(headerFlexible) + codec.sizeResponse(version, res);
  const external = handler.externalBytes?.(res) ?? 0;
  const w = new Writer(4 + size - external);
  w.int32(size);
  writeResponseHeader(w, header.correlationId, headerFlexible);
  codec.encodeResponse(w, version, res);
  return external > 0 ? w.finishChunks() : [w.finish()];
}
