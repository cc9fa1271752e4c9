/**
 * The transaction coordinator's half of following `__transaction_state` leadership
 * (data/coordinator-partitions.ts), as Kafka's TransactionStateManager.loadTransactionsForTxnTopicPartition
 * and removeTransactionsForTxnTopicPartition:
 *
 * - Load: the partition's records are replayed in order into a scratch table (so each id keeps
 *   the epoch before its last bump, which recognises a retried InitProducerId), the partitions of
 *   open transactions that are hosted here get their producer state loaded (the last stable offset
 *   holds them back until they end), and the ids are installed at once. Transactions found in a
 *   Prepare state are completed — their markers written again, then the Complete state — as
 *   Kafka's coordinator does on failover; Ongoing ones keep running until they end or time out.
 * - Unload: the partition's transactional ids are forgotten here. A completion in flight finds
 *   its next state write refused (NOT_COORDINATOR) and stops; the new coordinator completes it.
 */
import type { CoordinatorPartitionHooks, PartitionInstaller } from '../data/coordinator-partitions.js';
import type { PartitionsPort } from '../data/partitions.js';
import type { TransactionCoordinator } from './coordinator.js';
import type { ProducerStatesPort } from './port.js';
import { decodeTxnKey, decodeTxnValue, type TxnLogValue } from './records.js';
import type { TxnMetadata } from './txn-metadata.js';
import { TxnTable } from './txn-table.js';

/** What loading needs besides the coordinator. */
export interface TxnLoadDeps {
  readonly partitions: Pick<PartitionsPort, 'get'>;
  readonly producerStates: ProducerStatesPort;
  /** Ids of the legacy transactional-ids file that belong to the partition (imported when the log lacks them). */
  legacyIds(partition: number): ReadonlyArray<readonly [string, TxnLogValue]>;
  /** A transaction found in a Prepare state: its markers are written again (completion). */
  complete(meta: TxnMetadata): void;
}

export function txnPartitionHooks(coord: TransactionCoordinator, deps: TxnLoadDeps): CoordinatorPartitionHooks {
  return {
    load(partition) {
      if (!coord.stateLog.exists()) return installer(coord, deps, partition, new TxnTable(), 0);
      return read(coord, deps, partition).then(({ table, records }) => installer(coord, deps, partition, table, records));
    },
    unload(partition) {
      coord.partitionResigned(partition);
      let dropped = 0;
      for (const meta of [...coord.txns.values()]) {
        if (coord.stateLog.partitionFor(meta.transactionalId) !== partition) continue;
        coord.table.remove(meta.transactionalId);
        dropped++;
      }
      coord.log.info({ partition, transactionalIds: dropped }, 'transactional ids unloaded: this broker no longer leads their partition');
    },
  };
}

async function read(coord: TransactionCoordinator, deps: TxnLoadDeps, partition: number): Promise<{ table: TxnTable; records: number }> {
  const table = new TxnTable();
  const records = await coord.stateLog.replayPartition(partition, (key, value) => {
    const id = decodeTxnKey(key);
    if (id === null) return;
    const v = value === null ? null : decodeTxnValue(value);
    if (v === null) table.remove(id);
    else table.set(id, v);
  });
  for (const meta of table.txns.values()) {
    if (meta.state !== 'Ongoing') continue;
    for (const [topic, parts] of meta.partitions) {
      for (const p of parts) {
        const log = deps.partitions.get(topic, p);
        if (log) await deps.producerStates.get(log);
      }
    }
  }
  return { table, records };
}

function installer(coord: TransactionCoordinator, deps: TxnLoadDeps, partition: number, loaded: TxnTable, records: number): PartitionInstaller {
  return () => {
    for (const [id, v] of deps.legacyIds(partition)) if (!loaded.txns.has(id)) loaded.set(id, v);
    let completing = 0;
    let open = 0;
    for (const meta of loaded.txns.values()) {
      coord.table.adopt(meta);
      if (meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') {
        completing++;
        deps.complete(meta);
      } else if (meta.state === 'Ongoing') {
        open++;
      }
    }
    if (records > 0 || loaded.txns.size > 0) coord.log.info({ partition, records, transactionalIds: loaded.txns.size, completing, open }, 'transaction state loaded');
  };
}
