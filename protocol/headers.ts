/**
 * Request and response headers.
 *
 * Request header v0: api_key int16, api_version int16, correlation_id int32.
 * v1 adds client_id (nullable string, never compact); v2 (flexible APIs) adds tagged fields.
 * Response header v0: correlation_id int32; v1 (flexible APIs) adds tagged fields —
 * except ApiVersions, whose response header is always v0 so that a client can read the error
 * whichever version it sent.
 */
import { Reader, Writer } from './primitives.js';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

export const API_VERSIONS_KEY = 18;

/** Reads api key, version and correlation id (common to every header version). */
export function readRequestHeaderStart(r: Reader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  return { apiKey, apiVersion, correlationId, clientId: null };
}

/** Reads the rest of the header: client id (v1+) and tagged fields (v2). */
export function readRequestHeaderRest(r: Reader, h: RequestHeader, flexible: boolean): void {
  h.clientId = r.nullableString();
  if (flexible) r.taggedFields();
}

export function requestHeaderSize(h: RequestHeader, flexible: boolean): number {
  return 8 + (h.clientId === null ? 2 : 2 + Buffer.byteLength(h.clientId)) + (flexible ? 1 : 0);
}

export function writeRequestHeader(w: Writer, h: RequestHeader, flexible: boolean): void {
  w.int16(h.apiKey);
  w.int16(h.apiVersion);
  w.int32(h.correlationId);
  w.nullableString(h.clientId);
  if (flexible) w.noTags();
}

/** Whether a response to (apiKey, version) carries response header v1 (tagged fields). */
export function responseHeaderFlexible(apiKey: number, flexible: boolean): boolean {
  return flexible && apiKey !== API_VERSIONS_KEY;
}

export function responseHeaderSize(flexibleHeader: boolean): number {
  return flexibleHeader ? 5 : 4;
}

export function writeResponseHeader(w: Writer, correlationId: number, flexibleHeader: boolean): void {
  w.int32(correlationId);
  if (flexibleHeader) w.noTags();
}

export function readResponseHeader(r: Reader, flexibleHeader: boolean): number {
  const correlationId = r.int32();
  if (flexibleHeader) r.taggedFields();
  return correlationId;
}
