// Bundles the compiled CLI (dist/src/cli.js) into one file, dist/runnel.mjs, which `npm start`
// runs: resolving ~150 small ES modules costs more startup time than the broker's own work.
// Native and logging packages stay external (they load their own files at runtime).
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/src/cli.js'],
  outfile: 'dist/runnel.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  external: ['pino', 'snappy', 'lz4-napi', '@mongodb-js/zstd', '@node-rs/crc32', 'avsc'],
  banner: { js: "import { createRequire as __runnelCreateRequire } from 'node:module'; const require = __runnelCreateRequire(import.meta.url);" },
});
