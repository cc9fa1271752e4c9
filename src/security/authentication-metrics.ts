/**
 * What authentication counts, by listener, with Kafka's names (successful / failed / successful
 * re-authentication totals; src/metrics.ts implements it). One method for both layers: the TLS
 * handshake on SSL listeners (server/listener.ts; on SASL_SSL only its failures, the success being
 * SASL's) and the SASL exchange (sasl/audit.ts). Declared here, not in metrics.ts, so that security
 * depends on nothing of the metrics' rendering (admin-http).
 */
export interface AuthenticationMetrics {
  authentication(listener: string, ok: boolean, reauthentication?: boolean): void;
}
