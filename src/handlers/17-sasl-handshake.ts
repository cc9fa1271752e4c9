/**
 * SaslHandshake (key 17), versions 0-1.
 *
 * Runnel has only PLAINTEXT listeners, so there is no SASL exchange to start. Kafka answers a
 * handshake on a PLAINTEXT listener (where the connection counts as already authenticated) with
 * ILLEGAL_SASL_STATE and an empty mechanism list, and keeps the connection open; so do we. A Java
 * client configured for SASL_PLAINTEXT then fails with "Unexpected handshake request with client
 * mechanism PLAIN, enabled mechanisms are []", exactly as against Kafka.
 *
 * Version notes: v1 only means the exchange that follows is framed in SaslAuthenticate.
 */
import { newSaslHandshakeResponse, type SaslHandshakeRequest, type SaslHandshakeResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';

export default defineHandler<SaslHandshakeRequest, SaslHandshakeResponse>({
  key: 17,
  minVersion: 0,
  maxVersion: 1,
  handle() {
    return newSaslHandshakeResponse({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] });
  },
  errorResponse(_ctx, _req, code) {
    return newSaslHandshakeResponse({ errorCode: code, mechanisms: [] });
  },
});
