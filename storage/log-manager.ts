/**
 * All partition logs of one data dir: startup recovery, checkpoints, background retention and
 * compaction, topic deletion, clean shutdown.
 *
 * Data dir layout (names are Kafka's; formats in file-names.ts, checkpoints.ts, segment.ts):
 *   <dataDir>/<topic>-<partition>/...              one PartitionLog each (segments and its
 *                                                  leader-epoch-checkpoint, removed with the dir)
 *   <dataDir>/<topic>-<partition>.<uuid>-delete/   deleted topic partitions awaiting removal (topic
 *                                                  part cut short to fit 255 bytes, file-names.ts)
 *   <dataDir>/recovery-point-offset-checkpoint     written periodically and at close
 *   <dataDir>/log-start-offset-checkpoint          written when log start offsets move, and at
 *                                                  close (segments below a log start go after it)
 *   <dataDir>/cleaner-offset-checkpoint            written after compaction, and at close
 *   <dataDir>/replication-offset-checkpoint        replicated logs' high watermarks: written with
 *                                                  the recovery points and at close, when any log
 *                                                  is replicated; read at startup (a replicated
 *                                                  log's high watermark starts at min(it, log end))
 *   <dataDir>/.kafka_cleanshutdown                 empty; written last on clean close, deleted
 *                                                  (and the deletion fsynced) at startup, so a
 *                                                  crash always finds it missing
 *
 * Startup: with the marker, each partition loads from its indexes (fast); without it, each is
 * recovered from its recovery point (recovery.ts). Partitions load with bounded concurrency.
 * Leader-epoch checkpoints lagging their cache are written before each recovery-point
 * checkpoint, so that file is never older than the recovery point (leader-epoch-cache.ts).
 * After a log is truncated the checkpoints are written at once (PartitionLog afterTruncation), so no
 * recovery point above its new end survives a crash.
 * The broker persists which topics exist and their configs; discovered partitions start with the
 * default config until the broker calls create()/updateConfig().
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { StorageLogger } from './logger.js';
import { CLEANER_CHECKPOINT, CLEAN_SHUTDOWN_FILE, DELETE_DIR_SUFFIX, LOG_START_CHECKPOINT, RECOVERY_POINT_CHECKPOINT, REPLICATION_CHECKPOINT, deleteDirName, parsePartitionDirName, partitionDirName } from './file-names.js';
import { type CleanResult, cleanLog } from './cleaner.js';
import { type CheckpointEntries, readCheckpoint, tpKey, writeCheckpoint } from './checkpoints.js';
import { FdCache } from './fd-cache.js';
import { type StorageFs, isErrno, realFs, removeTree, startupSyncFs, writeWholeFile } from './fs.js';
import { type LogConfig, validateLogConfig } from './log-config.js';
import { PartitionLog } from './partition-log.js';
import type { PartitionLogRef } from './partition-log-options.js';
import type { LogManagerOptions, StorageStats } from './log-manager-options.js';
import { type KnownEpochs, readLeaderEpochSummary, removeLeaderEpochSummary, writeLeaderEpochSummary } from './leader-epoch-summary.js';

const NO_SUMMARY = { get: (): KnownEpochs | undefined => undefined };

export type { LogManagerOptions, StorageStats } from './log-manager-options.js';

async function mapLimit<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export class LogManager {
  readonly dataDir: string;
  readonly stats: StorageStats = { recoveredBytes: 0, recoveryMs: 0, uncleanShutdown: false, truncatedBytes: 0, partitionsLoaded: 0 };
  defaults: LogConfig;

  private readonly fs: StorageFs;
  /** Blocking syscalls while loading at startup when on the real fs (see startupSyncFs). */
  private loadFs: StorageFs;
  private readonly logger: StorageLogger;
  private readonly fdCache: FdCache;
  private readonly logs = new Map<string, PartitionLog>();
  private readonly creating = new Map<string, Promise<PartitionLog>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly background = new Set<Promise<unknown>>();
  private closed = false;
  private logStartDirty = false;
  /** The last queued write of log-start-offset-checkpoint (alone or with the other checkpoints); rejects if it failed. */
  private logStartWrite: Promise<void> = Promise.resolve();
  private checkpointChain: Promise<void> = Promise.resolve();
  private retentionRunning = false;
  private cleanerRunning = false;
  /** High watermarks read from replication-offset-checkpoint at startup. */
  private highWatermarks: CheckpointEntries = new Map();

  // The callbacks every log gets, made once: one closure per log each was ~1 MB per 10,000 partitions.
  private readonly markLogStartDirty = (): void => {
    this.logStartDirty = true;
  };
  private readonly reportOffline = (l: PartitionLogRef, err: unknown): void => {
    this.logger.error({ err, topic: l.topic, partition: l.partition }, 'partition offline after storage failure');
    this.opts.onLogDirFailure?.(l, err);
  };
  private readonly reportWriteFailed = (l: PartitionLogRef, err: unknown): void => this.opts.onLogDirFailure?.(l, err);
  private readonly checkpointAfterTruncation = (): Promise<void> => this.writeCheckpoints();

  private constructor(private readonly opts: LogManagerOptions) {
    this.dataDir = opts.dataDir;
    this.fs = opts.fs ?? realFs;
    this.loadFs = this.fs === realFs ? startupSyncFs : this.fs;
    this.logger = opts.logger;
    this.defaults = opts.defaults;
    validateLogConfig(opts.defaults);
    this.fdCache = new FdCache(this.fs, opts.maxOpenFiles ?? 1000, opts.logger);
  }

  static async open(opts: LogManagerOptions): Promise<LogManager> {
    const m = new LogManager(opts);
    await m.start();
    return m;
  }

  private async start(): Promise<void> {
    const t0 = performance.now();
    const { fs, dataDir } = this;
    await fs.mkdir(dataDir);
    const marker = join(dataDir, CLEAN_SHUTDOWN_FILE);
    let clean = false;
    try {
      await fs.stat(marker);
      clean = true;
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
    }
    this.stats.uncleanShutdown = !clean;

    const readCp = async (name: string): Promise<CheckpointEntries> => {
      try {
        return await readCheckpoint(fs, dataDir, name);
      } catch (e) {
        this.logger.warn({ err: e, file: name }, 'unreadable checkpoint; ignoring it');
        return new Map();
      }
    };
    // Every partition's leader-epoch-checkpoint in one file, vouched for by the marker only.
    const epochFiles = clean ? await readLeaderEpochSummary(fs, dataDir).catch((e) => (this.logger.warn({ err: e }, 'unreadable leader-epoch summary; reading each partition\'s file'), NO_SUMMARY)) : NO_SUMMARY;
    const recoveryPoints = await readCp(RECOVERY_POINT_CHECKPOINT);
    const logStarts = await readCp(LOG_START_CHECKPOINT);
    const cleanerPoints = await readCp(CLEANER_CHECKPOINT);
    this.highWatermarks = await readCp(REPLICATION_CHECKPOINT);

    // Delete the marker (and the summary it vouches for) before anything can be written, and make
    // the deletion durable: a crash from now on must find neither.
    if (clean) await fs.unlink(marker);
    if ((await removeLeaderEpochSummary(fs, dataDir)) || clean) await fs.fsyncDir(dataDir);

    const names = await fs.readdir(dataDir);
    const toLoad: Array<{ topic: string; partition: number; dir: string }> = [];
    for (const name of names) {
      if (name.endsWith(DELETE_DIR_SUFFIX)) {
        this.track(removeTree(fs, join(dataDir, name)).catch((e) => this.logger.warn({ err: e, dir: name }, 'removing deleted partition dir failed')));
        continue;
      }
      // Only names shaped `<topic>-<partition>` (checkpoint files never are); a non-directory
      // of that shape fails its readdir and is skipped below.
      const tp = parsePartitionDirName(name);
      if (!tp) continue;
      toLoad.push({ ...tp, dir: join(dataDir, name) });
    }

    await mapLimit(toLoad, this.opts.loadConcurrency ?? 64, async ({ topic, partition, dir }) => {
      const key = tpKey(topic, partition);
      let log: PartitionLog;
      try {
        log = await this.openLog(topic, partition, dir, this.defaults, {
          cleanShutdown: clean,
          recoveryPoint: recoveryPoints.get(key) ?? 0,
          logStartOffset: logStarts.get(key) ?? 0,
          createDir: false,
          knownLeaderEpochs: epochFiles.get(topic, partition),
        });
      } catch (e) {
        if (isErrno(e, 'ENOTDIR')) return;
        throw e;
      }
      const cp = cleanerPoints.get(key);
      if (cp !== undefined) log.cleanerCheckpoint = Math.max(cp, log.logStartOffset);
      this.stats.recoveredBytes += log.recoveredBytes;
      this.stats.truncatedBytes += log.truncatedBytes;
      this.stats.partitionsLoaded++;
    });
    this.loadFs = this.fs; // startup is over: no blocking I/O from here on
    this.highWatermarks = new Map(); // only logs found at startup resume a high watermark
    // What recovery established is now the durable truth: checkpoint it.
    if (!clean && this.logs.size > 0) await this.writeCheckpoints();
    this.stats.recoveryMs = performance.now() - t0;
    this.logger.info({ partitions: this.logs.size, clean, recoveredBytes: this.stats.recoveredBytes, truncatedBytes: this.stats.truncatedBytes, ms: Math.round(this.stats.recoveryMs) }, 'logs loaded');
    this.startTimers();
  }

  private startTimers(): void {
    const every = (ms: number, fn: () => Promise<unknown>) => {
      if (!(ms > 0)) return;
      const t = setInterval(() => {
        if (!this.closed) this.track(fn().catch((e) => this.logger.error({ err: e }, 'storage background task failed')));
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.opts.retentionCheckIntervalMs ?? 300000, () => this.runRetentionNow());
    every(this.opts.recoveryPointCheckpointIntervalMs ?? 60000, () => this.writeCheckpoints());
    every(this.opts.cleanerBackoffMs ?? 15000, () => this.runCompactionNow());
  }

  private track(p: Promise<unknown>): void {
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  private async openLog(
    topic: string,
    partition: number,
    dir: string,
    config: LogConfig,
    o: { cleanShutdown: boolean; recoveryPoint: number; logStartOffset: number; createDir?: boolean; fresh?: boolean; knownLeaderEpochs?: KnownEpochs },
  ): Promise<PartitionLog> {
    const key = tpKey(topic, partition);
    const log = await PartitionLog.open({
      topic,
      partition,
      dir,
      config,
      fs: this.fs,
      loadFs: this.loadFs,
      fdCache: this.fdCache,
      logger: this.logger,
      cleanShutdown: o.cleanShutdown,
      createDir: o.createDir,
      fresh: o.fresh,
      knownLeaderEpochs: o.knownLeaderEpochs,
      recoveryPoint: o.recoveryPoint,
      logStartOffset: o.logStartOffset,
      onLogStartOffsetChanged: this.markLogStartDirty,
      onOffline: this.reportOffline,
      onWriteFailed: this.reportWriteFailed,
      onFsync: this.opts.onFsync,
      replicated: this.opts.replicated,
      highWatermark: this.highWatermarks.get(key),
      afterTruncation: this.checkpointAfterTruncation,
    });
    this.logs.set(key, log);
    return log;
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(tpKey(topic, partition));
  }

  /** Returns the existing log (with `config` applied) or creates an empty one. */
  async create(topic: string, partition: number, config: LogConfig): Promise<PartitionLog> {
    if (this.closed) throw new Error('log manager is closed');
    const key = tpKey(topic, partition);
    const existing = this.logs.get(key);
    if (existing) {
      existing.updateConfig(config);
      return existing;
    }
    const inFlight = this.creating.get(key);
    if (inFlight) return inFlight;
    const p = (async () => {
      validateLogConfig(config);
      const dir = join(this.dataDir, partitionDirName(topic, partition));
      await this.fs.mkdir(dir);
      await this.fs.fsyncDir(this.dataDir);
      return this.openLog(topic, partition, dir, config, { cleanShutdown: true, recoveryPoint: 0, logStartOffset: 0 });
    })().finally(() => this.creating.delete(key));
    this.creating.set(key, p);
    return p;
  }

  /**
   * Creates empty logs for the partitions of a new topic (or the new partitions of a topic). Fresh:
   * nothing is reused — a log or directory left under one of the names (a deletion that failed
   * half-way, a directory from another install) is moved aside for deletion first, so a re-created
   * topic starts empty. One fsync of the data directory covers all the new directories (10,000
   * partitions: one fsync, not 10,000).
   */
  async createFresh(parts: ReadonlyArray<{ topic: string; partition: number; config: LogConfig }>): Promise<void> {
    if (this.closed) throw new Error('log manager is closed');
    for (const p of parts) validateLogConfig(p.config);
    const dirs: string[] = [];
    for (const { topic, partition } of parts) {
      const dir = join(this.dataDir, partitionDirName(topic, partition));
      const existing = this.logs.get(tpKey(topic, partition));
      if (existing) await this.retire(existing);
      else await this.retireStaleDir(topic, partition, dir);
      await this.fs.mkdir(dir);
      dirs.push(dir);
    }
    if (parts.length > 0) await this.fs.fsyncDir(this.dataDir);
    for (let i = 0; i < parts.length; i++) {
      const { topic, partition, config } = parts[i]!;
      // Just made empty above: opening reads nothing (no listing, no leader-epoch-checkpoint).
      await this.openLog(topic, partition, dirs[i]!, config, { cleanShutdown: true, recoveryPoint: 0, logStartOffset: 0, fresh: true });
    }
  }

  partitions(): Iterable<PartitionLog> {
    return this.logs.values();
  }

  /** Open segment fds right now (tests, metrics). */
  get openFiles(): number {
    return this.fdCache.openCount;
  }

  /**
   * Deletes every partition of `topic`: writes stop at once, the directory is renamed to
   * `<topic>-<partition>.<uuid>-delete` (Kafka's name, file-names.ts) and removed once readers
   * released their slices and file.delete.delay.ms passed. Resolves after the renames; every
   * partition is tried, the first failure is thrown after.
   */
  async deleteTopic(topic: string): Promise<void> {
    const victims = [...this.logs.values()].filter((l) => l.topic === topic);
    let failure: unknown = null;
    for (const log of victims) {
      try {
        await this.retire(log);
      } catch (e) {
        failure ??= e;
      }
    }
    if (victims.length) {
      this.logStartDirty = true;
      this.logger.info({ topic, partitions: victims.length }, 'topic deleted');
    }
    if (failure !== null) throw failure;
  }

  /**
   * Deletes one partition's log, as deleteTopic does for each of a topic's (a cluster broker whose
   * replica of the partition moved elsewhere). Nothing to do when there is no such log.
   */
  async deletePartition(topic: string, partition: number): Promise<void> {
    const log = this.logs.get(tpKey(topic, partition));
    if (!log) return;
    await this.retire(log);
    this.logStartDirty = true;
    this.logger.info({ topic, partition }, 'partition deleted');
  }

  /** Takes one log out of service and renames its directory for deletion (see deleteTopic). */
  private async retire(log: PartitionLog): Promise<void> {
    this.logs.delete(tpKey(log.topic, log.partition));
    await log.abandon();
    const dirName = deleteDirName(log.topic, log.partition, randomUUID().replaceAll('-', ''));
    const newDir = join(this.dataDir, dirName);
    await this.fs.rename(log.dir, newDir);
    log.movedTo(newDir);
    await this.fs.fsyncDir(this.dataDir);
    const delay = log.config.fileDeleteDelayMs;
    this.track(
      (async () => {
        await log.whenUnpinned();
        await log.closeFds();
        if (delay > 0) await new Promise((r) => setTimeout(r, delay).unref());
        await removeTree(this.fs, newDir);
      })().catch((e) => this.logger.warn({ err: e, dir: dirName }, 'removing deleted partition failed')),
    );
  }

  /** A partition directory no log owns (nothing reads it): renamed for deletion and removed. */
  private async retireStaleDir(topic: string, partition: number, dir: string): Promise<void> {
    try {
      await this.fs.stat(dir);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return;
      throw e;
    }
    const dirName = deleteDirName(topic, partition, randomUUID().replaceAll('-', ''));
    await this.fs.rename(dir, join(this.dataDir, dirName));
    await this.fs.fsyncDir(this.dataDir);
    this.logger.warn({ topic, partition, dir: dirName }, 'a new partition found a stale directory under its name; moved it aside for deletion');
    this.track(removeTree(this.fs, join(this.dataDir, dirName)).catch((e) => this.logger.warn({ err: e, dir: dirName }, 'removing deleted partition failed')));
  }

  /** Waits for background work (deletions, tasks) to finish (tests). */
  async settle(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
    for (const l of this.logs.values()) await l.settleDeletions();
  }

  /** One retention pass over every log (the background task calls this every interval). */
  async runRetentionNow(now = Date.now()): Promise<void> {
    if (this.retentionRunning) return;
    this.retentionRunning = true;
    try {
      for (const log of [...this.logs.values()]) {
        try {
          await log.applyRetention(now);
        } catch (e) {
          this.logger.error({ err: e, topic: log.topic, partition: log.partition }, 'retention failed');
        }
      }
      if (this.logStartDirty) await this.writeLogStartCheckpoint();
    } finally {
      this.retentionRunning = false;
    }
  }

  /** One compaction pass over every compacted log. `force` ignores min.cleanable.dirty.ratio. */
  async runCompactionNow(opts: { force?: boolean; now?: number } = {}): Promise<CleanResult[]> {
    if (this.cleanerRunning) return [];
    this.cleanerRunning = true;
    const results: CleanResult[] = [];
    let any = false;
    try {
      for (const log of [...this.logs.values()]) {
        if (!log.config.cleanupPolicy.compact || log.isClosed) continue;
        try {
          const r = await cleanLog(log, { ...this.opts.cleaner, ...opts });
          results.push(r);
          any ||= r.cleaned;
        } catch (e) {
          this.logger.error({ err: e, topic: log.topic, partition: log.partition }, 'compaction failed');
        }
      }
      if (any) await this.enqueueCheckpoint(() => writeCheckpoint(this.fs, this.dataDir, CLEANER_CHECKPOINT, this.entries((l) => l.cleanerCheckpoint)));
    } finally {
      this.cleanerRunning = false;
    }
    return results;
  }

  private entries(pick: (l: PartitionLog) => number) {
    return [...this.logs.values()].map((l) => ({ topic: l.topic, partition: l.partition, offset: pick(l) }));
  }

  /** Checkpoint writes are serialised (they share .tmp names). */
  private enqueueCheckpoint(fn: () => Promise<void>): Promise<void> {
    const run = this.checkpointChain.then(fn, fn);
    this.checkpointChain = run.catch(() => {});
    return run;
  }

  /**
   * Resolves once every log start offset moved so far is in log-start-offset-checkpoint; rejects
   * when that write failed (the next call writes again). DeleteRecords answers after this, so an
   * acknowledged deletion survives kill -9 (Kafka only checkpoints every
   * log.flush.start.offset.checkpoint.interval.ms, and a crash can bring deleted records back).
   */
  persistLogStartOffsets(): Promise<void> {
    return this.logStartDirty ? this.writeLogStartCheckpoint() : this.logStartWrite;
  }

  /** Queues `write`, which writes log-start-offset-checkpoint (with the log start offsets it reads when it runs). */
  private trackLogStartWrite(write: () => Promise<void>): Promise<void> {
    this.logStartDirty = false;
    this.logStartWrite = this.enqueueCheckpoint(write).catch((e) => {
      this.logStartDirty = true;
      throw e;
    });
    return this.logStartWrite;
  }

  private writeLogStartCheckpoint(): Promise<void> {
    return this.trackLogStartWrite(() => this.writeLogStarts());
  }

  /**
   * Writes log-start-offset-checkpoint, then tells each log the offset now durable for it: only then
   * do segments below a moved log start go, so a crash finds the old log start or the new one.
   */
  private async writeLogStarts(): Promise<void> {
    const logs = [...this.logs.values()];
    const starts = logs.map((l) => l.logStartOffset);
    await writeCheckpoint(this.fs, this.dataDir, LOG_START_CHECKPOINT, logs.map((l, i) => ({ topic: l.topic, partition: l.partition, offset: starts[i]! })));
    for (let i = 0; i < logs.length; i++) logs[i]!.logStartCheckpointed(starts[i]!);
  }

  /** Writes the leader-epoch checkpoints that lag their cache, then all three checkpoint files. */
  writeCheckpoints(): Promise<void> {
    return this.trackLogStartWrite(async () => {
      // The recovery points are read before the epoch caches are written: every batch below a
      // recovery point was appended, and its epoch assigned, before that write. A log whose
      // epoch checkpoint could not be written is recovered from its start after a crash, so
      // recovery re-reads the epochs of all its batches.
      const points = new Map([...this.logs.values()].map((l) => [l, l.recoveryPoint]));
      await this.flushLeaderEpochs();
      const recoveryPoint = (l: PartitionLog) => (l.leaderEpochs.lastWriteFailed ? l.logStartOffset : (points.get(l) ?? l.logStartOffset));
      await writeCheckpoint(this.fs, this.dataDir, RECOVERY_POINT_CHECKPOINT, this.entries(recoveryPoint));
      await this.writeLogStarts();
      await writeCheckpoint(this.fs, this.dataDir, CLEANER_CHECKPOINT, this.entries((l) => l.cleanerCheckpoint));
      // Single-node data dirs get no such file (nothing reads it there).
      const replicated = [...this.logs.values()].filter((l) => l.isReplicated);
      if (replicated.length > 0 || this.opts.replicated) {
        await writeCheckpoint(this.fs, this.dataDir, REPLICATION_CHECKPOINT, replicated.map((l) => ({ topic: l.topic, partition: l.partition, offset: l.highWatermark })));
      }
    });
  }

  /**
   * Per partition, before the recovery points are checkpointed: a failure is logged (the file is
   * then removed and rebuilt from the log at the next start) and does not stop the others.
   */
  private async flushLeaderEpochs(): Promise<void> {
    const logs = [...this.logs.values()].filter((l) => !l.isClosed && l.leaderEpochs.isDirty);
    await mapLimit(logs, 16, (l) =>
      l.flushLeaderEpochs().catch((e) => this.logger.error({ err: e, topic: l.topic, partition: l.partition }, 'writing the leader-epoch-checkpoint failed')),
    );
  }

  /** Flushes and closes every log, writes the checkpoints, then the clean-shutdown marker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    const logs = [...this.logs.values()];
    // First leader-epoch-checkpoints are not created now: the summary below carries their
    // entries (leader-epoch-summary.ts); without it (offline partition, failed write, a crash
    // before the marker) the files are missing and the next start rebuilds them from the log.
    await mapLimit(logs, 64, (l) => l.close({ createEpochFile: false }));
    const offline = logs.some((l) => l.hasFailed);
    await this.writeCheckpoints();
    if (offline) {
      this.logger.warn('some partitions are offline: not writing the clean-shutdown marker');
      return;
    }
    // Not needed for safety: every file that exists is up to date, and one that does not is
    // rebuilt from the log by a start without the summary.
    await writeLeaderEpochSummary(this.fs, this.dataDir, logs.map((l) => ({ topic: l.topic, partition: l.partition, state: l.leaderEpochs.summaryState() }))).catch((e) =>
      this.logger.warn({ err: e }, 'writing the leader-epoch summary failed; the next start reads each partition\'s file'),
    );
    await writeWholeFile(this.fs, join(this.dataDir, CLEAN_SHUTDOWN_FILE), Buffer.alloc(0), true);
    await this.fs.fsyncDir(this.dataDir);
    this.logger.info({ partitions: logs.length }, 'logs closed cleanly');
  }
}
