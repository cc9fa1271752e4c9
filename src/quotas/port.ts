/** What request handlers use of the client quotas (DescribeClientQuotas, AlterClientQuotas): ClientQuotaStore satisfies it. */
import type { AlterationResult, QuotaAlteration, QuotaRecord } from './quota-store.js';

export interface ClientQuotasPort {
  all(): QuotaRecord[];
  alter(alterations: readonly QuotaAlteration[], validateOnly: boolean): Promise<AlterationResult[]>;
}
