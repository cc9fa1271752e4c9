/**
 * Share groups (KIP-932) in `runnel group describe`: kafka-share-groups.sh's views with Runnel's
 * counts added. Per partition: START-OFFSET (the share-partition start offset), IN-FLIGHT (records
 * past it not yet acknowledged or archived), ACQUIRED (of those, locked to a consumer now) and LAG
 * (records not yet acknowledged or archived up to the high watermark); `--members` one row per
 * member with its assigned partitions; `--state` the group's state, epoch and member count.
 */
import { ErrorCode, errorName } from '../../../protocol/errors.js';
import type { Admin, SharePartitionOffset } from '../../client/admin.js';
import type { Context } from '../context.js';
import { renderTable } from '../table.js';

export interface ShareGroupReport {
  group: string;
  type: 'share';
  state: string;
  groupEpoch: number;
  assignor: string;
  members: Array<{ consumerId: string; host: string; clientId: string; assignment: Array<{ topic: string; partitions: number[] }> }>;
  partitions: Array<{ topic: string; partition: number; startOffset: number | null; inFlight: number | null; acquired: number | null; lag: number | null }>;
  totalLag: number;
}

const known = (n: number): number | null => (n < 0 ? null : n);

export async function describeShareGroupReport(admin: Admin, groupId: string): Promise<ShareGroupReport> {
  const d = await admin.describeShareGroup(groupId);
  if (d.errorCode !== ErrorCode.NONE) throw new Error(`cannot describe share group ${groupId}: ${errorName(d.errorCode)}`);
  const offsets: SharePartitionOffset[] = await admin.shareGroupOffsets(groupId);
  const partitions = offsets.map((o) => ({ topic: o.topic, partition: o.partition, startOffset: known(o.startOffset), inFlight: o.startOffset < 0 ? null : known(o.inFlight), acquired: o.startOffset < 0 ? null : known(o.acquired), lag: o.startOffset < 0 ? null : o.lag }));
  return {
    group: groupId,
    type: 'share',
    state: d.state,
    groupEpoch: d.groupEpoch,
    assignor: d.assignorName,
    members: d.members.map((m) => ({ consumerId: m.memberId, host: m.clientHost, clientId: m.clientId, assignment: m.assignment })),
    partitions,
    totalLag: partitions.reduce((n, p) => n + Math.max(0, p.lag ?? 0), 0),
  };
}

/** Prints one share group's report in the view the flags ask for. */
export function printShareGroupReport(ctx: Context, r: ShareGroupReport): void {
  if (ctx.bool('state')) {
    ctx.out(renderTable(['GROUP', 'TYPE', 'ASSIGNMENT-STRATEGY', 'STATE', 'GROUP-EPOCH', '#MEMBERS'], [[r.group, r.type, r.assignor, r.state, r.groupEpoch, r.members.length]]));
    return;
  }
  if (r.members.length === 0) ctx.note(`Share group '${r.group}' has no active members.`);
  if (ctx.bool('members')) {
    const assignment = (m: ShareGroupReport['members'][number]) => m.assignment.map((a) => `${a.topic}:${[...a.partitions].sort((x, y) => x - y).join(',')}`).join(';');
    ctx.out(renderTable(['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT'], r.members.map((m) => [r.group, m.consumerId, m.host, m.clientId, m.assignment.reduce((n, a) => n + a.partitions.length, 0), assignment(m)])));
    return;
  }
  ctx.out(renderTable(['GROUP', 'TOPIC', 'PARTITION', 'START-OFFSET', 'IN-FLIGHT', 'ACQUIRED', 'LAG'], r.partitions.map((p) => [r.group, p.topic, p.partition, p.startOffset, p.inFlight, p.acquired, p.lag])));
}
