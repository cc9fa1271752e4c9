/**
 * SaslHandshake (key 17), versions 0-1.
 *
 * On a SASL listener the connection's SaslSession (security/sasl/session.ts) picks the mechanism:
 * an enabled one answers NONE with the enabled list; another answers UNSUPPORTED_SASL_MECHANISM
 * with the list and the connection closes after the response (Kafka's behaviour). On an
 * authenticated connection with connections.max.reauth.ms set, it starts re-authentication
 * (KIP-368; same mechanism only).
 *
 * On a PLAINTEXT listener (the connection counts as already authenticated), and on an
 * authenticated SASL connection without re-authentication, Kafka answers ILLEGAL_SASL_STATE with
 * the listener's mechanisms (none on PLAINTEXT) and keeps the connection open; so do we. A Java
 * client configured for SASL_PLAINTEXT against a PLAINTEXT port then fails with "Unexpected
 * handshake request with client mechanism PLAIN, enabled mechanisms are []", as against Kafka.
 *
 * Version notes: v0 means the exchange that follows is bare SASL tokens (no Kafka header); v1 that
 * it is framed in SaslAuthenticate.
 */
import { newSaslHandshakeResponse, type SaslHandshakeRequest, type SaslHandshakeResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';

export default defineHandler<SaslHandshakeRequest, SaslHandshakeResponse>({
  key: 17,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    const session = ctx.conn.sasl;
    if (!session) return newSaslHandshakeResponse({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] });
    return newSaslHandshakeResponse(session.handshake(req.mechanism, ctx.version));
  },
  errorResponse(_ctx, _req, code) {
    return newSaslHandshakeResponse({ errorCode: code, mechanisms: [] });
  },
});
