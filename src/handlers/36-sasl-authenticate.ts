/**
 * SaslAuthenticate (key 36), versions 0-2.
 *
 * On a SASL listener, one round of the exchange the SaslHandshake v1 started, run by the
 * connection's SaslSession (security/sasl/session.ts): the mechanism's reply in authBytes; on
 * completion the connection's principal is the user, and sessionLifetimeMs (v1+) is the time
 * until re-authentication is due (0 when connections.max.reauth.ms is 0). Bad credentials answer
 * SASL_AUTHENTICATION_FAILED with the mechanism's message (which never says whether the user or
 * the password was wrong) and the connection closes after the response.
 *
 * On a PLAINTEXT listener, as on Kafka's, the connection is already "authenticated", so any
 * SaslAuthenticate is ILLEGAL_SASL_STATE with Kafka's message "SaslAuthenticate request received
 * after successful authentication", empty auth bytes, and the connection stays open.
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
  async handle(ctx, req) {
    const session = ctx.conn.sasl;
    if (!session) {
      return newSaslAuthenticateResponse({
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        errorMessage: 'SaslAuthenticate request received after successful authentication',
        sessionLifetimeMs: 0,
      });
    }
    return newSaslAuthenticateResponse(await session.authenticate(req.authBytes, ctx.version));
  },
  errorResponse(_ctx, _req, code, message) {
    // An internal failure (credential store unreachable) says no more than that to the client.
    const text = code === ErrorCode.UNKNOWN_SERVER_ERROR ? 'Authentication failed due to an internal error' : message;
    return newSaslAuthenticateResponse({ errorCode: code, errorMessage: text, sessionLifetimeMs: 0 });
  },
});
