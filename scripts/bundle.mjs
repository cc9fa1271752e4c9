// Bundles the compiled CLI (dist/src/cli.js) into dist/runnel.mjs, which `npm start` runs:
// resolving ~150 small ES modules costs more startup time than the broker's own work.
// The CLI loads its two halves with import() — the broker (`runnel start`) and the Kafka client
// commands — so the bundle is split at those imports: dist/runnel.mjs is a small dispatcher and
// each half (and the code they share, like the protocol codecs) is a chunk in dist/chunks/, read
// only when used. pino is bundled too (resolving and compiling its ~20 CommonJS files cost ~10 ms
// of startup; Runnel uses no pino transports, the only part that needs pino's files on disk).
// Native packages stay external (they load their own binaries), and avsc, which the schema code
// require()s on first use (src/schema/avro.ts), and etcd3 with cockatiel, which it requires
// (cluster mode only, imported on first connect by src/cluster/etcd.ts): etcd3 reads its .proto
// files from its own directory at load. The schema registry's parsing thread is a second
// entry, dist/schema-parse-worker.mjs, which src/schema/parser.ts starts as a worker.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist/chunks', { recursive: true, force: true });
await build({
  entryPoints: { runnel: 'dist/src/cli.js', 'schema-parse-worker': 'dist/src/schema/parse-worker.js' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  external: ['snappy', 'lz4-napi', '@mongodb-js/zstd', '@node-rs/crc32', 'fs-native-extensions', 'avsc', 'etcd3', 'cockatiel'],
  banner: { js: "import { createRequire as __runnelCreateRequire } from 'node:module'; const require = __runnelCreateRequire(import.meta.url);" },
});
