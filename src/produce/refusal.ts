/**
 * How a produce stage refuses a batch: Kafka's error code, a message, and — when single records
 * were at fault — the records (Produce v8+ record_errors). Refusals are built only on the failure
 * path; a passing stage returns null and allocates nothing.
 */
import type { RecordIssue } from '../data/record-validation.js';

export type { RecordIssue };

export interface Refusal {
  readonly code: number;
  readonly message: string;
  /**
   * The refused records. Set, even empty, when the records were at fault (Kafka then answers with
   * the partition's log start offset); absent for a refusal of the batch or the partition.
   */
  readonly recordErrors?: readonly RecordIssue[];
}
