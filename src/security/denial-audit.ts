/**
 * The authorization-denial audit log: one structured line per denied action (principal, host,
 * operation, resource), like Kafka's kafka.authorizer.logger "Principal = ... is Denied
 * operation", but rate limited so that a client retrying in a loop cannot flood the log: at most
 * `runnel.authorizer.denial.log.per.second` lines a second; the denials dropped meanwhile are
 * counted and reported in the next line that is written. Never logs request payloads.
 */
import type { Logger } from '../logger.js';
import { operationName, resourceTypeName } from './acl-model.js';
import { principalString, type Principal, type Resource } from './authorizer.js';
import { LogRateLimit } from './log-rate-limit.js';

export class DenialAudit {
  private readonly limit: LogRateLimit;

  constructor(
    private readonly log: Logger,
    perSecond: number,
    now: () => number = Date.now,
  ) {
    this.limit = new LogRateLimit(perSecond, now);
  }

  denied(principal: Principal, operation: number, resource: Resource): void {
    const suppressed = this.limit.admit();
    if (suppressed === null) return;
    this.log.warn(
      {
        audit: 'authorization',
        principal: principalString(principal),
        host: principal.host,
        operation: operationName(operation),
        resourceType: resourceTypeName(resource.type),
        resourceName: resource.name,
        ...(suppressed > 0 ? { suppressedDenials: suppressed } : {}),
      },
      'authorization denied',
    );
  }
}
