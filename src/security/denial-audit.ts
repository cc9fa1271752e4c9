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

export class DenialAudit {
  private windowStart = 0;
  private inWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly log: Logger,
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  denied(principal: Principal, operation: number, resource: Resource): void {
    const t = this.now();
    if (t - this.windowStart >= 1000) {
      this.windowStart = t;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.perSecond) {
      this.suppressed++;
      return;
    }
    this.inWindow++;
    const suppressed = this.suppressed;
    this.suppressed = 0;
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
