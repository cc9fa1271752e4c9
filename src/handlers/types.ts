/**
 * What a request handler is: one API key, the versions it serves, and a function from the decoded
 * request to the response (or null when no response is sent, as for Produce with acks=0).
 */
import type { Logger } from '../logger.js';
import type { RequestHeader } from '../../protocol/headers.js';
import type { Broker } from '../broker.js';

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The listener the connection arrived on. */
  readonly listener: string;
  /** Closes the connection (e.g. after a fatal protocol error). */
  close(reason: string): void;
  /** Runs `fn` when the connection closes; returns a function that unregisters it. */
  onClose(fn: () => void): () => void;
  readonly closed: boolean;
}

export interface RequestContext {
  readonly broker: Broker;
  readonly header: RequestHeader;
  readonly version: number;
  readonly conn: ConnectionInfo;
  readonly log: Logger;
}

export interface Handler<Req extends object = object, Res extends object = object> {
  readonly key: number;
  /** Versions advertised in ApiVersions; every one of them must be answered. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * Requests of this API may run while earlier pipelinable requests of the same connection are
   * still in flight (responses stay in order). Only for handlers whose ordering effects happen
   * synchronously when they start, like Produce assigning offsets.
   */
  readonly pipelinable?: boolean;
  handle(ctx: RequestContext, req: Req): Res | null | Promise<Res | null>;
  /**
   * The response carrying `code` everywhere, for failures that escape `handle`. Without it the
   * connection is closed (the client reconnects and retries).
   */
  errorResponse?(ctx: RequestContext, req: Req, code: number, message: string): Res;
  /** Bytes of the response that are file slices (Fetch), so the response buffer is sized without them. */
  externalBytes?(res: Res): number;
}

export function defineHandler<Req extends object, Res extends object>(h: Handler<Req, Res>): Handler<Req, Res> {
  return h;
}
