/** Shared constants and types for the generated codecs in protocol/generated. */
import type { Reader, Writer } from './primitives.js';

export const EMPTY: Buffer = Buffer.alloc(0);
export const ZERO_UUID: Buffer = Buffer.alloc(16);

/** The codecs of one API, both directions, as registered in API_CODECS. */
export interface ApiCodec {
  readonly key: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible version (request header v2, response header v1), or -1. */
  readonly flexibleFrom: number;
  decodeRequest(r: Reader, v: number): object;
  encodeRequest(w: Writer, v: number, m: object): void;
  sizeRequest(v: number, m: object): number;
  newRequest(p?: object): object;
  decodeResponse(r: Reader, v: number): object;
  encodeResponse(w: Writer, v: number, m: object): void;
  sizeResponse(v: number, m: object): number;
  newResponse(p?: object): object;
}
