/**
 * SaslAuthenticate (key 36), versions 0-2.
 *
 * PLAINTEXT only: as on a Kafka PLAINTEXT listener, the connection is already "authenticated", so
 * any SaslAuthenticate is ILLEGAL_SASL_STATE with Kafka's message "SaslAuthenticate request
 * received after successful authentication", empty auth bytes, and the connection stays open.
 *
 * Version notes: v1 adds sessionLifetimeMs (0: no re-authentication), v2 is flexible.
 */
import { newSaslAuthenticateResponse, type SaslAuthenticateRequest, type SaslAuthenticateResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';

export default defineHandler<SaslAuthenticateRequest, SaslAuthenticateResponse>({
  key: 36,
  minVersion: 0,
  maxVersion: 2,
  handle() {
    return newSaslAuthenticateResponse({
      errorCode: ErrorCode.ILLEGAL_SASL_STATE,
      errorMessage: 'SaslAuthenticate request received after successful authentication',
      sessionLifetimeMs: 0,
    });
  },
  errorResponse(_ctx, _req, code, message) {
    return newSaslAuthenticateResponse({ errorCode: code, errorMessage: message, sessionLifetimeMs: 0 });
  },
});
