/**
 * `runnel offsets get [<topic>...]` — kafka-get-offsets.sh: per partition the log start and end
 * offsets, or with --time the first offset at or after a time (-1 latest, -2 earliest, -3 the
 * record with the largest timestamp, as Kafka's tool spells them).
 */
import { ErrorCode, errorName } from '../../../protocol/errors.js';
import { Admin, OffsetSpec } from '../../client/admin.js';
import { UsageError } from '../args.js';
import type { CommandDef, CommandGroupDef } from '../command.js';
import { parseTime } from '../time.js';

function timeSpec(v: string): number {
  if (v === 'latest') return OffsetSpec.LATEST;
  if (v === 'earliest') return OffsetSpec.EARLIEST;
  if (v === 'max-timestamp') return OffsetSpec.MAX_TIMESTAMP;
  const t = parseTime(v, '--time');
  if (t < 0 && t !== -1 && t !== -2 && t !== -3) throw new UsageError(`--time ${v}: negative times are -1 (latest), -2 (earliest), -3 (max-timestamp)`);
  return t;
}

const get: CommandDef = {
  name: 'get',
  summary: 'Log start/end offsets per partition, or the offset at a time',
  usage: 'runnel offsets get [<topic>...] [--partitions N,N] [--time earliest|latest|max-timestamp|MS|DATETIME]',
  flags: [
    { name: 'topic', aliases: ['t'], type: 'string', value: 'NAME[,NAME]', description: 'Topic(s) (default: every non-internal topic)' },
    { name: 'partitions', aliases: ['partition', 'p'], type: 'string', value: 'N[,N]', description: 'Only these partitions' },
    { name: 'time', type: 'string', value: 'SPEC', description: 'earliest (-2), latest (-1), max-timestamp (-3), epoch ms or a date-time' },
  ],
  async run(ctx) {
    const admin = new Admin(ctx.kafka());
    let topics = [...ctx.args.positionals, ...(ctx.string('topic') ? [ctx.string('topic')!] : [])].flatMap((t) => t.split(',')).filter(Boolean);
    if (topics.length === 0) topics = (await admin.listTopics()).filter((t) => !t.internal).map((t) => t.name);
    const only = ctx.string('partitions')?.split(',').map(Number);
    const time = ctx.string('time');
    if (time === undefined) {
      const ranges = (await admin.offsetRange(topics)).filter((r) => !only || only.includes(r.partition));
      const bad = ranges.find((r) => r.errorCode !== ErrorCode.NONE);
      if (bad) throw new Error(`${bad.topic}-${bad.partition}: ${errorName(bad.errorCode)}`);
      ctx.printRows(
        ['TOPIC', 'PARTITION', 'LOG-START-OFFSET', 'LOG-END-OFFSET', 'RECORDS'],
        ranges.map((r) => [r.topic, r.partition, r.start, r.end, r.end - r.start]),
        ranges.map((r) => ({ topic: r.topic, partition: r.partition, logStartOffset: r.start, logEndOffset: r.end })),
      );
      return;
    }
    const ts = timeSpec(time);
    const tps = [];
    for (const name of topics) {
      const t = await ctx.kafka().topic(name, { refresh: true });
      for (const p of t.partitions) if (!only || only.includes(p.partition)) tps.push({ topic: name, partition: p.partition, timestamp: ts });
    }
    const found = await admin.listOffsets(tps);
    const bad = found.find((r) => r.errorCode !== ErrorCode.NONE);
    if (bad) throw new Error(`${bad.topic}-${bad.partition}: ${errorName(bad.errorCode)}`);
    ctx.printRows(
      ['TOPIC', 'PARTITION', 'OFFSET', 'TIMESTAMP'],
      found.map((o) => [o.topic, o.partition, o.offset < 0 ? null : o.offset, o.timestamp < 0 ? null : o.timestamp]),
      found.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset < 0 ? null : o.offset, timestamp: o.timestamp < 0 ? null : o.timestamp })),
    );
  },
};

export const group: CommandGroupDef = { name: 'offsets', summary: get.summary, commands: [get], defaultCommand: 'get' };
