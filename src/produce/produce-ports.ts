/**
 * What the produce pipeline uses of the broker: a narrow slice of a request's context
 * (handlers/types.ts RequestContext satisfies it), so the stages run against fakes and
 * src/produce does not depend on src/handlers.
 */
import type { PartitionsPort } from '../data/partitions.js';
import type { TopicsPort } from '../metadata/port.js';
import type { DataMetrics } from '../metrics.js';
import type { SchemaValidationPort } from '../schema/port.js';
import type { Authorizer, Principal } from '../security/authorizer.js';
import type { ProducerStatesPort, TransactionsPort } from '../txn/port.js';

export interface ProducePorts {
  readonly topics: Pick<TopicsPort, 'get' | 'settings'>;
  readonly partitions: PartitionsPort;
  readonly producers: ProducerStatesPort;
  readonly txn: Pick<TransactionsPort, 'verify' | 'partitions' | 'addImplicitly' | 'verifyElsewhere'>;
  readonly schemas: SchemaValidationPort;
  readonly metrics: DataMetrics;
  readonly authorizer: Authorizer;
  /** The connection: who produces, for the authorizer. */
  readonly conn: { readonly principal: Principal };
}
