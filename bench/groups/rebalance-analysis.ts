/**
 * The measuring half of bench/groups/rebalance.ts: pure functions over the members' own event log
 * (test/java/src/main/java/runnel/GroupBench.java prints it, one JSON line per callback or poll,
 * with ms since one JVM-wide t0). Kept apart so that test/unit/bench/rebalance-analysis.test.ts can
 * check them on synthetic logs.
 *
 * - settle(): when every partition had exactly one owner, every member its final assignment, and
 *   no callback came after: the time of the last assignment callback, from the members' start.
 * - churn(): bytes consumed per second over the measuring window, and the longest pauses in
 *   consumption: per member (between its consecutive non-empty polls, from its first records to
 *   its leaving or the end) and group-wide (no member got anything); and per partition moved,
 *   the time from its release by one member to its assignment to the next.
 */

export interface GroupEvent {
  /** t0 | start | assigned | revoked | lost | records | window | leave | closed | end | error */
  e: string;
  /** Member index. */
  m?: number;
  /** ms since the JVM's t0. */
  t?: number;
  /** Partitions (assigned / revoked / lost). */
  p?: number[];
  /** Records in one poll, and their key + value bytes. */
  n?: number;
  b?: number;
  complete?: boolean;
  error?: string;
}

export function parseEvents(lines: readonly string[]): GroupEvent[] {
  const out: GroupEvent[] = [];
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as GroupEvent);
    } catch {
      // a torn last line from a killed JVM
    }
  }
  // Members print from their own threads: order by time (stable for equal times).
  return out.map((e, i) => ({ e, i })).sort((a, b) => (a.e.t ?? -1) - (b.e.t ?? -1) || a.i - b.i).map((x) => x.e);
}

const isCallback = (e: GroupEvent): boolean => e.e === 'assigned' || e.e === 'revoked' || e.e === 'lost';

/** Replays the callbacks: partition -> the members that hold it after `events`. */
export function ownership(events: readonly GroupEvent[]): Map<number, Set<number>> {
  const owners = new Map<number, Set<number>>();
  for (const e of events) {
    if (!isCallback(e)) continue;
    for (const p of e.p ?? []) {
      let set = owners.get(p);
      if (!set) owners.set(p, (set = new Set()));
      if (e.e === 'assigned') set.add(e.m!);
      else set.delete(e.m!);
    }
  }
  return owners;
}

/** Every partition held by exactly one member, and every member holding some (when there are enough partitions). */
export function coverageProblem(owners: Map<number, Set<number>>, partitions: number, members: ReadonlySet<number>): string | null {
  const holding = new Set<number>();
  for (let p = 0; p < partitions; p++) {
    const o = owners.get(p);
    if (!o || o.size === 0) return `partition ${p} unowned`;
    if (o.size > 1) return `partition ${p} owned by ${[...o].join(' and ')}`;
    holding.add([...o][0]!);
  }
  for (const m of holding) if (!members.has(m)) return `member ${m} holds a partition after leaving`;
  if (members.size <= partitions) for (const m of members) if (!holding.has(m)) return `member ${m} holds nothing`;
  return null;
}

export interface SettleResult {
  /** ms from the first member's start to the last callback; null when the final state is not covered. */
  settleMs: number | null;
  /** The first moment (ms from start) the assignment was complete, whether or not it moved again. */
  firstCompleteMs: number | null;
  /** assigned + revoked + lost callbacks, all members. */
  callbacks: number;
  problem: string | null;
}

export function settle(all: readonly GroupEvent[], partitions: number): SettleResult {
  // Only up to "end": the members' leaving afterwards (revoke callbacks on close) is not part of it.
  const endAt = all.findIndex((e) => e.e === 'end');
  const events = endAt < 0 ? all : all.slice(0, endAt);
  const starts = events.filter((e) => e.e === 'start');
  const members = new Set(starts.map((e) => e.m!));
  for (const e of events) if (e.e === 'leave') members.delete(e.m!);
  if (starts.length === 0) return { settleMs: null, firstCompleteMs: null, callbacks: 0, problem: 'no member started' };
  const start = Math.min(...starts.map((e) => e.t!));
  const callbacks = events.filter(isCallback);
  let firstCompleteMs: number | null = null;
  const owners = new Map<number, Set<number>>();
  for (const e of callbacks) {
    for (const p of e.p ?? []) {
      let set = owners.get(p);
      if (!set) owners.set(p, (set = new Set()));
      if (e.e === 'assigned') set.add(e.m!);
      else set.delete(e.m!);
    }
    if (firstCompleteMs === null && coverageProblem(owners, partitions, members) === null) firstCompleteMs = e.t! - start;
  }
  const problem = coverageProblem(owners, partitions, members);
  const last = callbacks.length > 0 ? callbacks[callbacks.length - 1]!.t! : start;
  return { settleMs: problem === null ? last - start : null, firstCompleteMs, callbacks: callbacks.length, problem };
}

export interface ChurnResult {
  /** Measuring window (ms): from "window" (the first members covered the topic) to "end". */
  windowMs: number;
  bytes: number;
  records: number;
  mbPerSec: number;
  /** Members that left / joined during the window. */
  changes: number;
  /** Per member that consumed in the window: its longest pause (ms), by member index. */
  memberPauseMs: Map<number, number>;
  /** Longest of memberPauseMs. */
  maxMemberPauseMs: number;
  /** Median of memberPauseMs: a stop-the-world rebalance pauses every member, so this one grows too. */
  medianMemberPauseMs: number;
  /** Longest stretch in which no member got any record (from the first records in the window to the end). */
  groupPauseMs: number;
  /** ms from the last records anywhere to the end: large when the topic ran dry (then the rate is too low). */
  idleTailMs: number;
  /**
   * Per partition given up in the window (revoked or lost), the ms until some member was assigned
   * it again: the time nobody may read it. Incremental protocols trade member pauses for this.
   */
  handoverMs: number[];
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function churn(events: readonly GroupEvent[]): ChurnResult {
  const windowEv = events.find((e) => e.e === 'window');
  const endEv = events.find((e) => e.e === 'end');
  if (!windowEv || !endEv) throw new Error('the log has no window or no end: the members never covered the topic, or the JVM died');
  const from = windowEv.t!;
  const to = endEv.t!;
  const inWindow = (e: GroupEvent): boolean => e.t! >= from && e.t! <= to;
  const polls = events.filter((e) => e.e === 'records' && inWindow(e));
  const bytes = polls.reduce((s, e) => s + e.b!, 0);
  const records = polls.reduce((s, e) => s + e.n!, 0);
  const changes = events.filter((e) => e.e === 'leave' && inWindow(e)).length;

  const leaveAt = new Map<number, number>();
  for (const e of events) if (e.e === 'leave' && !leaveAt.has(e.m!)) leaveAt.set(e.m!, e.t!);
  const byMember = new Map<number, number[]>();
  for (const e of polls) {
    if (leaveAt.has(e.m!) && e.t! > leaveAt.get(e.m!)!) continue;
    if (!byMember.has(e.m!)) byMember.set(e.m!, []);
    byMember.get(e.m!)!.push(e.t!);
  }
  const memberPauseMs = new Map<number, number>();
  for (const [m, ts] of byMember) {
    // From its first records in the window (a joining member's wait for partitions is no pause)
    // to its leaving or the end: a member whose partitions were taken away shows a tail gap.
    const stop = Math.min(to, leaveAt.get(m) ?? to);
    let longest = 0;
    for (let i = 1; i < ts.length; i++) longest = Math.max(longest, ts[i]! - ts[i - 1]!);
    longest = Math.max(longest, stop - ts[ts.length - 1]!);
    memberPauseMs.set(m, longest);
  }
  // From the first records in the window: members just assigned before it have not fetched yet.
  let groupPauseMs = 0;
  let prev = polls.length > 0 ? polls[0]!.t! : from;
  for (const e of polls) {
    groupPauseMs = Math.max(groupPauseMs, e.t! - prev);
    prev = e.t!;
  }
  groupPauseMs = Math.max(groupPauseMs, to - prev);
  const handoverMs: number[] = [];
  const released = new Map<number, number>();
  for (const e of events) {
    if (!inWindow(e) || !isCallback(e)) continue;
    for (const p of e.p ?? []) {
      if (e.e !== 'assigned') released.set(p, e.t!);
      else if (released.has(p)) {
        handoverMs.push(e.t! - released.get(p)!);
        released.delete(p);
      }
    }
  }
  for (const t of released.values()) handoverMs.push(to - t); // still unowned at the end
  const pauses = [...memberPauseMs.values()];
  const windowMs = to - from;
  return {
    windowMs,
    bytes,
    records,
    mbPerSec: windowMs > 0 ? bytes / 1e6 / (windowMs / 1000) : 0,
    changes,
    memberPauseMs,
    maxMemberPauseMs: pauses.length > 0 ? Math.max(...pauses) : NaN,
    medianMemberPauseMs: median(pauses),
    groupPauseMs,
    idleTailMs: to - (polls.length > 0 ? polls[polls.length - 1]!.t! : from),
    handoverMs,
  };
}
