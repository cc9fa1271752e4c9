/**
 * The Java harness (test/java): Apache Kafka's own clients, CLI tools and Streams, plus the small
 * programs runnel.Produce, runnel.Consume and runnel.Admin, each printing one JSON line.
 *
 *   await ensureJavaBuilt();                       // mvn package, once (a marker skips rebuilds)
 *   const r = await runJava('Produce', ['--bootstrap', b, '--topic', 't', '--count', '5']);
 *   r.json.acked                                   // parsed last stdout line
 *   await runKafkaTool('TopicCommand', ['--bootstrap-server', b, '--list']);
 *   await runKafkaScript('kafka-topics.sh', ['--bootstrap-server', b, '--list']);   // as bin/ runs it
 *   const app = await spawnJava('OrdersTotals', [...]);   // in the background: waitFor(), send()
 *
 * Maven's local repository is the default ~/.m2/repository; test/java/setup.sh pre-fetches it
 * (CI calls it), after which builds run offline (-o). The build writes test/java/target/classes and
 * target/classpath.txt (the dependencies, from dependency:build-classpath); the marker
 * target/.runnel-build holds a hash of pom.xml and the sources, so an unchanged tree is not
 * rebuilt, and a lock file keeps parallel test files from building at once.
 *
 * Start-up: a JVM loading kafka-clients from jars spends about a second of CPU before main()
 * runs, and the suite starts a few hundred. runJava therefore keeps one AppCDS archive per main
 * class (target/cds/<build hash>-<class>.jsa, JDK 13+ dynamic archives): the first run of a class
 * that has none writes one at exit (to a temp name, renamed only after a normal exit and a JVM
 * that starts with it: a torn archive crashes the JVM), and every later run maps the classes from it (about half the start-up
 * time). CDS needs the classpath to hold jars only, so these runs use the harness jar that
 * `mvn package` builds beside target/classes. A missing or stale archive only means no sharing:
 * the JVM's CDS log lines are off, so they never reach a tool's stdout. An archive is ~20 MB (the
 * whole suite makes some 40: under 1 GB in target/cds); those of other builds are deleted.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const JAVA_DIR = join(REPO_ROOT, 'test', 'java');
const TARGET = join(JAVA_DIR, 'target');
const MARKER = join(TARGET, '.runnel-build');
const LOCK = join(JAVA_DIR, '.build.lock');
const CLASSPATH_FILE = join(TARGET, 'classpath.txt');

/** Apache Kafka CLI tools by short name (Kafka 4.x: all in kafka-tools, org.apache.kafka.tools). */
export const KAFKA_TOOLS: Readonly<Record<string, string>> = {
  TopicCommand: 'org.apache.kafka.tools.TopicCommand',
  ConsoleProducer: 'org.apache.kafka.tools.ConsoleProducer',
  ConsoleConsumer: 'org.apache.kafka.tools.consumer.ConsoleConsumer',
  ConsumerGroupCommand: 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  GetOffsetShell: 'org.apache.kafka.tools.GetOffsetShell',
  ConfigCommand: 'org.apache.kafka.tools.ConfigCommand',
  DeleteRecordsCommand: 'org.apache.kafka.tools.DeleteRecordsCommand',
  BrokerApiVersionsCommand: 'org.apache.kafka.tools.BrokerApiVersionsCommand',
  LogDirsCommand: 'org.apache.kafka.tools.LogDirsCommand',
  LeaderElectionCommand: 'org.apache.kafka.tools.LeaderElectionCommand',
  ReassignPartitionsCommand: 'org.apache.kafka.tools.reassign.ReassignPartitionsCommand',
  TransactionsCommand: 'org.apache.kafka.tools.TransactionsCommand',
  GroupsCommand: 'org.apache.kafka.tools.GroupsCommand',
  AclCommand: 'org.apache.kafka.tools.AclCommand',
  ProducerPerformance: 'org.apache.kafka.tools.ProducerPerformance',
  ConsumerPerformance: 'org.apache.kafka.tools.ConsumerPerformance',
  ClientCompatibilityTest: 'org.apache.kafka.tools.ClientCompatibilityTest',
};

/** JVM flags for short-lived client processes on a 2-core machine: fast start, small heap. */
export const JVM_FLAGS = ['-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xshare:auto', '-Djava.awt.headless=true'];

export interface JavaResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed as JSON (undefined when it is not JSON). */
  json: any;
}

/** A Kafka tool's stdout as its non-empty lines, without the SLF4J warnings its launcher prints. */
export function toolLines(r: JavaResult): string[] {
  return r.stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('SLF4J'));
}

export interface JavaRunOptions {
  timeoutMs?: number;
  /** Extra JVM flags (e.g. -Dorg.slf4j.simpleLogger.defaultLogLevel=info). */
  jvmArgs?: string[];
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
}

function sourceHash(): string {
  const h = createHash('sha256');
  const files: string[] = [join(JAVA_DIR, 'pom.xml')];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(join(JAVA_DIR, 'src'));
  for (const f of files) {
    h.update(relative(JAVA_DIR, f));
    h.update('\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex');
}

/** The marker matches and every jar on the recorded classpath still exists (~/.m2 may have changed). */
function isBuilt(hash: string): boolean {
  if (!existsSync(MARKER) || !existsSync(CLASSPATH_FILE) || readFileSync(MARKER, 'utf8').trim() !== hash) return false;
  return readFileSync(CLASSPATH_FILE, 'utf8').trim().split(':').every((jar) => jar !== '' && existsSync(jar));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Takes the build lock (a file created exclusively, holding our pid); waits for another holder. */
async function withLock<T>(fn: () => T | Promise<T>, timeoutMs = 15 * 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder = NaN;
      try {
        holder = Number(readFileSync(LOCK, 'utf8'));
      } catch {
        continue; // released meanwhile
      }
      const stale = Number.isInteger(holder) && holder > 0 ? !pidAlive(holder) : Date.now() - statSafe(LOCK) > 60_000;
      if (stale) {
        rmSync(LOCK, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the Java build lock ${LOCK}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { force: true });
  }
}

function statSafe(p: string): number {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return Date.now();
  }
}

let built: Promise<void> | null = null;

/**
 * Builds test/java once: `mvn -q -o package` (offline, from ~/.m2) and, if that fails because
 * something is missing, `mvn -q package` online. Skips the build when the marker matches.
 */
export function ensureJavaBuilt(): Promise<void> {
  built ??= (async () => {
    const hash = sourceHash();
    buildHash = hash;
    dropStaleArchives(hash);
    if (isBuilt(hash)) return;
    await withLock(async () => {
      if (isBuilt(hash)) return; // built by another process while we waited
      const goals = ['-q', '-B', 'package', 'dependency:build-classpath', `-Dmdep.outputFile=${CLASSPATH_FILE}`, '-DskipTests'];
      let r = await runProcess('mvn', ['-o', ...goals], { timeoutMs: 10 * 60_000, cwd: JAVA_DIR });
      if (r.code !== 0) r = await runProcess('mvn', goals, { timeoutMs: 10 * 60_000, cwd: JAVA_DIR });
      if (r.code !== 0) throw new Error(`mvn package failed in ${JAVA_DIR} (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
      mkdirSync(TARGET, { recursive: true });
      writeFileSync(MARKER, hash + '\n');
    });
  })();
  built.catch(() => {
    built = null; // let a later call retry
  });
  return built;
}

/** True when `java` and `mvn` are on the PATH (tests can skip the Java suite otherwise). */
export function javaAvailable(): boolean {
  const ok = (cmd: string): boolean => spawnSync(cmd, ['-version'], { stdio: 'ignore' }).status === 0;
  return ok('java') && ok('mvn');
}

let classpath: string | null = null;
let jarClasspath: string | null = null;
let buildHash: string | null = null;
const CDS_DIR = join(TARGET, 'cds');
/** Off: a missing, stale or foreign archive is silently not used (the JVM logs that to stdout otherwise). */
const CDS_QUIET = ['-Xlog:cds*=off', '-Xlog:class+path=off'];

/** target/classes plus every dependency jar (after ensureJavaBuilt()). */
export function javaClasspath(): string {
  if (classpath === null) {
    if (!existsSync(CLASSPATH_FILE)) throw new Error('the Java harness is not built: call ensureJavaBuilt() first');
    classpath = [join(TARGET, 'classes'), readFileSync(CLASSPATH_FILE, 'utf8').trim()].join(':');
  }
  return classpath;
}

/** The harness jar plus every dependency jar (CDS maps classes from jars only), or null without the jar. */
function harnessJarClasspath(): string | null {
  if (jarClasspath === null) {
    const jar = existsSync(TARGET) ? readdirSync(TARGET).find((f) => f.startsWith('runnel-java-harness-') && f.endsWith('.jar')) : undefined;
    if (jar === undefined) return null;
    jarClasspath = [join(TARGET, jar), readFileSync(CLASSPATH_FILE, 'utf8').trim()].join(':');
  }
  return jarClasspath;
}

/**
 * The JVM arguments that put the harness on the classpath for `cls`, with its CDS archive: the
 * archive's flags when it exists, else where to write it at exit (`dumpTo`, renamed by the caller
 * after a normal exit) when `mayDump`.
 */
function launch(cls: string, mayDump: boolean): { args: string[]; dumpTo?: string; archive?: string } {
  const jars = buildHash === null ? null : harnessJarClasspath();
  if (jars === null) return { args: ['-cp', javaClasspath()] };
  const archive = join(CDS_DIR, `${buildHash!.slice(0, 16)}-${cls}.jsa`);
  if (existsSync(archive)) return { args: [...CDS_QUIET, `-XX:SharedArchiveFile=${archive}`, '-cp', jars] };
  if (!mayDump) return { args: [...CDS_QUIET, '-cp', jars] };
  mkdirSync(CDS_DIR, { recursive: true });
  const dumpTo = join(CDS_DIR, `.${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}-${cls}.jsa`);
  return { args: [...CDS_QUIET, `-XX:ArchiveClassesAtExit=${dumpTo}`, '-cp', jars], dumpTo, archive };
}

/** Archives of other builds (about 20 MB each) are of no use any more: removed. */
function dropStaleArchives(hash: string): void {
  if (!existsSync(CDS_DIR)) return;
  const current = hash.slice(0, 16);
  for (const f of readdirSync(CDS_DIR)) {
    if (f.endsWith('.jsa') && !f.startsWith('.') && !f.startsWith(`${current}-`)) rmSync(join(CDS_DIR, f), { force: true });
  }
}

/**
 * After a dumping run: keeps the archive if the JVM exited normally and a JVM starts with it
 * (`-version`: a torn file, e.g. from a full disk, would crash every later run), else drops it.
 */
async function keepArchive(l: { dumpTo?: string; archive?: string; args: string[] }, code: number | null): Promise<void> {
  if (l.dumpTo === undefined) return;
  try {
    if (code !== null && existsSync(l.dumpTo)) {
      const jars = l.args[l.args.length - 1]!;
      const probe = await runProcess('java', [...JVM_FLAGS, ...CDS_QUIET, '-XX:ErrorFile=/dev/null', `-XX:SharedArchiveFile=${l.dumpTo}`, '-cp', jars, '-version'], { timeoutMs: 60_000 });
      if (probe.code === 0) renameSync(l.dumpTo, l.archive!);
    }
  } catch {
    // the probe failed, or another run's archive won the race: ours is not needed
  }
  rmSync(l.dumpTo, { force: true });
}

interface ProcessOptions {
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
}

function runProcess(cmd: string, args: string[], opts: ProcessOptions = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out after ${timeoutMs} ms\nstdout: ${Buffer.concat(out)}\nstderr: ${Buffer.concat(err)}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on('error', () => {}); // the program may exit without reading its input
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

function lastJson(stdout: string): any {
  const lines = stdout.trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]!);
  } catch {
    return undefined;
  }
}

/**
 * Runs a main class with the harness classpath. A short name (Produce, Consume, Admin) means
 * runnel.<Name>. Resolves with the exit code and output; does not throw on a non-zero exit.
 */
export async function runJava(mainClass: string, args: string[] = [], opts: JavaRunOptions = {}): Promise<JavaResult> {
  await ensureJavaBuilt();
  const cls = mainClass.includes('.') ? mainClass : `runnel.${mainClass}`;
  const l = launch(cls, true);
  let r: Awaited<ReturnType<typeof runProcess>>;
  try {
    r = await runProcess('java', [...JVM_FLAGS, ...(opts.jvmArgs ?? []), ...l.args, cls, ...args], {
      timeoutMs: opts.timeoutMs ?? 60_000,
      env: opts.env,
      input: opts.input,
    });
  } catch (e) {
    await keepArchive(l, null);
    throw e;
  }
  await keepArchive(l, r.code);
  return { ...r, json: lastJson(r.stdout) };
}

/** Like runJava, but throws (with stderr) unless the program exits 0. */
export async function runJavaOk(mainClass: string, args: string[] = [], opts: JavaRunOptions = {}): Promise<any> {
  const r = await runJava(mainClass, args, opts);
  if (r.code !== 0) throw new Error(`${mainClass} ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.json;
}

/**
 * Runs one of Apache Kafka's CLI tools by short name (see KAFKA_TOOLS) or full class name, e.g.
 * runKafkaTool('TopicCommand', ['--bootstrap-server', b, '--create', '--topic', 't']).
 * Resolves with exit code and output (`json` is usually undefined for tools).
 */
export function runKafkaTool(toolClass: string, args: string[] = [], opts: JavaRunOptions = {}): Promise<JavaResult> {
  return runJava(KAFKA_TOOLS[toolClass] ?? toolClass, args, opts);
}

/**
 * Kafka's command-line scripts (bin/*.sh of the Apache Kafka 4.4 distribution) by name: the main
 * class each one hands to kafka-run-class.sh, and the heap it sets (the scripts that export
 * KAFKA_HEAP_OPTS=-Xmx512M; kafka-run-class.sh's default is -Xmx256M).
 */
export const KAFKA_SCRIPTS: Readonly<Record<string, { mainClass: string; heap: string }>> = {
  'kafka-topics.sh': { mainClass: 'org.apache.kafka.tools.TopicCommand', heap: '-Xmx256M' },
  'kafka-console-producer.sh': { mainClass: 'org.apache.kafka.tools.ConsoleProducer', heap: '-Xmx512M' },
  'kafka-console-consumer.sh': { mainClass: 'org.apache.kafka.tools.consumer.ConsoleConsumer', heap: '-Xmx512M' },
  'kafka-consumer-groups.sh': { mainClass: 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', heap: '-Xmx256M' },
  'kafka-configs.sh': { mainClass: 'org.apache.kafka.tools.ConfigCommand', heap: '-Xmx256M' },
  'kafka-get-offsets.sh': { mainClass: 'org.apache.kafka.tools.GetOffsetShell', heap: '-Xmx256M' },
  'kafka-producer-perf-test.sh': { mainClass: 'org.apache.kafka.tools.ProducerPerformance', heap: '-Xmx512M' },
  'kafka-consumer-perf-test.sh': { mainClass: 'org.apache.kafka.tools.ConsumerPerformance', heap: '-Xmx512M' },
  'kafka-broker-api-versions.sh': { mainClass: 'org.apache.kafka.tools.BrokerApiVersionsCommand', heap: '-Xmx256M' },
  'kafka-delete-records.sh': { mainClass: 'org.apache.kafka.tools.DeleteRecordsCommand', heap: '-Xmx256M' },
  'kafka-log-dirs.sh': { mainClass: 'org.apache.kafka.tools.LogDirsCommand', heap: '-Xmx256M' },
  'kafka-leader-election.sh': { mainClass: 'org.apache.kafka.tools.LeaderElectionCommand', heap: '-Xmx256M' },
  'kafka-reassign-partitions.sh': { mainClass: 'org.apache.kafka.tools.reassign.ReassignPartitionsCommand', heap: '-Xmx256M' },
  'kafka-transactions.sh': { mainClass: 'org.apache.kafka.tools.TransactionsCommand', heap: '-Xmx256M' },
  'kafka-groups.sh': { mainClass: 'org.apache.kafka.tools.GroupsCommand', heap: '-Xmx256M' },
  'kafka-acls.sh': { mainClass: 'org.apache.kafka.tools.AclCommand', heap: '-Xmx256M' },
  'kafka-features.sh': { mainClass: 'org.apache.kafka.tools.FeatureCommand', heap: '-Xmx256M' },
  'kafka-metadata-quorum.sh': { mainClass: 'org.apache.kafka.tools.MetadataQuorumCommand', heap: '-Xmx256M' },
  'kafka-client-metrics.sh': { mainClass: 'org.apache.kafka.tools.ClientMetricsCommand', heap: '-Xmx256M' },
  'kafka-delegation-tokens.sh': { mainClass: 'org.apache.kafka.tools.DelegationTokenCommand', heap: '-Xmx256M' },
  'kafka-share-groups.sh': { mainClass: 'org.apache.kafka.tools.consumer.group.ShareGroupCommand', heap: '-Xmx256M' },
  'kafka-streams-groups.sh': { mainClass: 'org.apache.kafka.tools.streams.StreamsGroupCommand', heap: '-Xmx256M' },
  'kafka-console-share-consumer.sh': { mainClass: 'org.apache.kafka.tools.consumer.ConsoleShareConsumer', heap: '-Xmx512M' },
  'kafka-streams-application-reset.sh': { mainClass: 'org.apache.kafka.tools.StreamsResetter', heap: '-Xmx256M' },
  'kafka-verifiable-producer.sh': { mainClass: 'org.apache.kafka.tools.VerifiableProducer', heap: '-Xmx512M' },
  'kafka-verifiable-consumer.sh': { mainClass: 'org.apache.kafka.tools.VerifiableConsumer', heap: '-Xmx512M' },
  'kafka-e2e-latency.sh': { mainClass: 'org.apache.kafka.tools.EndToEndLatency', heap: '-Xmx256M' },
  'kafka-dump-log.sh': { mainClass: 'org.apache.kafka.tools.DumpLogSegments', heap: '-Xmx256M' },
};

/**
 * Runs one of Kafka's scripts the way the distribution does: `kafka-topics.sh --bootstrap-server
 * b --list` becomes the script's main class with exactly the arguments given (the `.sh` suffix is
 * optional), the script's heap, and logging at WARN to stderr (what the distribution's
 * config/tools-log4j2.yaml does; here through slf4j-simple, so stdout carries only the tool's
 * output). The classpath holds the same Apache jars as the distribution's libs/, from Maven
 * Central. The JVM is tuned for start-up speed (serial GC, C1 only) instead of the scripts'
 * G1 settings, which changes nothing the tools print.
 */
export function runKafkaScript(script: string, args: string[] = [], opts: JavaRunOptions = {}): Promise<JavaResult> {
  const name = script.endsWith('.sh') ? script : `${script}.sh`;
  const s = KAFKA_SCRIPTS[name];
  if (!s) throw new Error(`unknown Kafka script ${script} (known: ${Object.keys(KAFKA_SCRIPTS).join(', ')})`);
  // A later -Xmx wins over JVM_FLAGS' default heap.
  return runJava(s.mainClass, args, { ...opts, jvmArgs: [s.heap, ...(opts.jvmArgs ?? [])] });
}

/** A Java program running in the background (spawnJava), read line by line. */
export interface JavaProcess {
  readonly pid: number | undefined;
  /** Every stdout line so far. */
  readonly lines: string[];
  /** Every stderr line so far. */
  readonly errLines: string[];
  /** Resolves with the first stdout line (parsed as JSON) that `pred` accepts, including earlier ones. */
  waitFor(pred: (json: any) => boolean, timeoutMs?: number): Promise<any>;
  /** Writes a line to the program's stdin. */
  send(line: string): void;
  /** Closes stdin. */
  endInput(): void;
  /** Resolves when the program exits, with its output (json = last stdout line). */
  readonly exited: Promise<JavaResult>;
  /** SIGKILL if still running. */
  kill(): void;
}

/**
 * Starts a main class with the harness classpath in the background (like runJava, which waits for
 * the exit): for programs a test steers while they run, e.g. a Streams app stopped through stdin.
 */
export async function spawnJava(mainClass: string, args: string[] = [], opts: JavaRunOptions = {}): Promise<JavaProcess> {
  await ensureJavaBuilt();
  const cls = mainClass.includes('.') ? mainClass : `runnel.${mainClass}`;
  // Background programs are often SIGKILLed: they use an archive but never write one.
  const child = spawn('java', [...JVM_FLAGS, ...(opts.jvmArgs ?? []), ...launch(cls, false).args, cls, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  const lines: string[] = [];
  const errLines: string[] = [];
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const w of [...waiters]) w();
  };
  const split = (sink: string[], onLine?: () => void) => {
    let rest = '';
    return (d: Buffer): void => {
      rest += d.toString();
      const parts = rest.split('\n');
      rest = parts.pop()!;
      sink.push(...parts);
      if (parts.length > 0) onLine?.();
    };
  };
  child.stdout.on('data', split(lines, wake));
  child.stderr.on('data', split(errLines));
  child.stdin.on('error', () => {});
  let running = true;
  const exited = new Promise<JavaResult>((resolveExit) => {
    child.on('close', (code) => {
      running = false;
      wake();
      const stdout = lines.join('\n');
      resolveExit({ code, stdout, stderr: errLines.join('\n'), json: lastJson(stdout) });
    });
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 10 * 60_000);
  void exited.then(() => clearTimeout(timer));
  const parse = (line: string): any => {
    try {
      return JSON.parse(line);
    } catch {
      return undefined;
    }
  };
  return {
    pid: child.pid,
    lines,
    errLines,
    exited,
    waitFor(pred, timeoutMs = 60_000) {
      return new Promise((resolveWait, reject) => {
        let seen = 0;
        const check = (): void => {
          for (; seen < lines.length; seen++) {
            const j = parse(lines[seen]!);
            if (j !== undefined && pred(j)) {
              done();
              resolveWait(j);
              return;
            }
          }
          if (!running) {
            done();
            reject(new Error(`${cls} exited before the awaited line\nstdout: ${lines.join('\n')}\nstderr: ${errLines.slice(-40).join('\n')}`));
          }
        };
        const t = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for a line from ${cls}\nstdout tail: ${lines.slice(-5).join('\n')}\nstderr tail: ${errLines.slice(-40).join('\n')}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(t);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    send(line) {
      child.stdin.write(line + '\n');
    },
    endInput() {
      child.stdin.end();
    },
    kill() {
      if (running) child.kill('SIGKILL');
    },
  };
}
