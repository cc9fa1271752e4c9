/**
 * Control batches (transaction markers) as the broker's state readers meet them: the marker type
 * of a control batch, read from its one control record's key. Used when producer state is rebuilt
 * from a log (txn/producer-state-manager.ts) and when __consumer_offsets is replayed
 * (groups/offsets-log.ts).
 */
import { ControlRecordType, forEachRecordSync, parseControlKey } from '../../protocol/records/records.js';

/** The type of a transaction marker (ControlRecordType), or null for another control batch. */
export function controlType(b: Buffer): number | null {
  const found: { type: number | null } = { type: null };
  const error = forEachRecordSync(
    b,
    (r) => {
      const k = parseControlKey(r.key);
      if (found.type === null && k.error === null) found.type = k.value.type;
    },
    { verifyCrc: false, allowOffsetGaps: true },
  );
  const type = found.type;
  if (error !== null || (type !== ControlRecordType.Abort && type !== ControlRecordType.Commit)) return null;
  return type;
}
