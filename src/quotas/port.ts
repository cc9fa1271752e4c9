/** What request handlers use of the client quotas (DescribeClientQuotas, AlterClientQuotas, Fetch). */
import type { AlterationResult, QuotaAlteration, QuotaRecord } from './quota-store.js';

export interface ClientQuotasPort {
  all(): QuotaRecord[];
  alter(alterations: readonly QuotaAlteration[], validateOnly: boolean): Promise<AlterationResult[]>;
  /** The most one Fetch response may carry for this user / client id under its consumer_byte_rate (Infinity: no quota). */
  fetchWindowBytes(user: string, clientId: string | null): number;
}
