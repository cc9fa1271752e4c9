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
import type { Handler, RequestContext } from '../handlers/types.js';
import type { Logger } from '../logger.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { Chunk } from './response-writer.js';

/** True for an ApiVersions request at a version above ours (answered with UNSUPPORTED_VERSION as v0). */
export function isUnsupportedApiVersions(header: RequestHeader, handler: Handler): boolean {
  return header.apiKey === API_VERSIONS_KEY && header.apiVersion > handler.maxVersion;
}

/**
 * A response whose bytes in memory would pass runnel.socket.response.max.bytes. Requests are
 * bounded, but some answers repeat what the broker holds once per request entry, as Kafka's do (a
 * DescribeGroups naming one group 2,000 times, each with its member's 512 KiB of metadata, came to
 * 1 GiB and froze the event loop for seconds): such a response is never built.
 */
export class ResponseTooLarge extends Error {
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`the response would take ${bytes} bytes, over runnel.socket.response.max.bytes (${limit})`);
  }
}

/** `maxBytes`: the most bytes the response may hold in memory (file slices sent in place do not count). */
export function encodeResponse(header: RequestHeader, handler: Handler, codec: ApiCodec, res: object, maxBytes = Infinity): Chunk[] {
  const version = isUnsupportedApiVersions(header, handler) ? 0 : header.apiVersion;
  const flexible = codec.flexibleFrom >= 0 && version >= codec.flexibleFrom;
  const headerFlexible = responseHeaderFlexible(header.apiKey, flexible);
  const size = responseHeaderSize(headerFlexible) + codec.sizeResponse(version, res);
  const external = handler.externalBytes?.(res) ?? 0;
  if (size - external > maxBytes) throw new ResponseTooLarge(size - external, maxBytes);
  const w = new Writer(4 + size - external);
  w.int32(size);
  writeResponseHeader(w, header.correlationId, headerFlexible);
  codec.encodeResponse(w, version, res);
  return external > 0 ? w.finishChunks() : [w.finish()];
}

/**
 * What a connection sends when its handler threw: the API's error response (every handler has one,
 * encodable at every version), with the KafkaError's code or UNKNOWN_SERVER_ERROR; 'close' when
 * even that fails. An unexpected exception is logged; a KafkaError is an answer, not a fault.
 */
export function handlerFailure(log: Logger, ctx: RequestContext, p: { handler: Handler; codec: ApiCodec; header: RequestHeader; request: object }, err: unknown): object | null | 'close' {
  const code = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
  const message = err instanceof Error ? err.message : String(err);
  if (!(err instanceof KafkaError)) log.error({ err, api: p.codec.name, version: p.header.apiVersion }, 'request handler failed');
  if (p.handler.errorResponse) {
    try {
      return p.handler.errorResponse(ctx, p.request, code, message);
    } catch (e) {
      log.error({ err: e }, 'building the error response failed');
    }
  }
  return 'close';
}
