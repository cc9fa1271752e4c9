/**
 * One SASL mechanism's server side for one authentication: the client's tokens in, the server's
 * replies out, until it is complete (then `authorizationId` names the user) or fails with
 * SaslFailure. Mechanisms: plain.ts, scram.ts, oauthbearer.ts.
 *
 * A SaslFailure's message goes to the client (SaslAuthenticate errorMessage), so it never says
 * which part of the credentials was wrong; `auditReason` is for the broker's audit log only and
 * still never holds a secret.
 */
export interface SaslExchange {
  /** Evaluates the client's next token and returns the server's reply (may be empty). */
  evaluate(token: Buffer): Buffer | Promise<Buffer>;
  /** True once the exchange succeeded. */
  readonly complete: boolean;
  /** The authenticated user (principal name), once complete. */
  readonly authorizationId: string | null;
  /** When the credential stops being valid (ms since the epoch; OAUTHBEARER tokens), or null. */
  readonly credentialExpiresAtMs: number | null;
}

export class SaslFailure extends Error {
  constructor(
    message: string,
    /** Why, for the audit log (no secrets): 'unknown user', 'bad password', 'malformed' ... */
    readonly auditReason: string,
    /** The user the client claimed, when known (logged, never a secret). */
    readonly user: string | null = null,
  ) {
    super(message);
  }
}
