// Builds the optional zero-copy Fetch binding (native/sendfile.c -> native/build/runnel-sendfile.node)
// with the system C compiler against the running Node's N-API headers. Run by `npm ci`/`npm install`
// (the package's install script) and by `npm run build`; never fails them: without a compiler, Node
// headers or Linux it prints why and exits 0, and the broker keeps its read+write Fetch path
// (src/server/zero-copy.ts). The output is build output (gitignored), rebuilt when the source is
// newer. Why not at broker start into the data dir: a production host often has no compiler, a
// start must not depend on one, and the data dir is no place for executable code.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'native', 'sendfile.c');
// --out FILE: build elsewhere (tests of this script); the broker looks only in native/build/.
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? process.argv[outArg + 1] : join(root, 'native', 'build', 'runnel-sendfile.node');

function skip(why) {
  console.log(`runnel: zero-copy fetch binding not built (${why}); the broker will use its read+write fetch path`);
  process.exit(0);
}

if (process.platform !== 'linux') skip(`sendfile(2) binding is Linux-only, this is ${process.platform}`);
if (!existsSync(src)) skip('native/sendfile.c missing');
if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) process.exit(0);
const headerDirs = [join(dirname(dirname(process.execPath)), 'include', 'node'), '/usr/include/node', '/usr/local/include/node'];
if (process.env.npm_config_nodedir) headerDirs.unshift(join(process.env.npm_config_nodedir, 'include', 'node'));
const include = headerDirs.find((d) => existsSync(join(d, 'node_api.h')));
if (!include) skip(`no Node headers (node_api.h) in ${headerDirs.join(', ')}`);
const cc = process.env.CC || 'cc';
mkdirSync(dirname(out), { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
const r = spawnSync(cc, ['-O2', '-Wall', '-shared', '-fPIC', '-DNODE_GYP_MODULE_NAME=runnel_sendfile', `-I${include}`, '-o', tmp, src], { stdio: ['ignore', 'inherit', 'inherit'] });
if (r.error) skip(`${cc}: ${r.error.code === 'ENOENT' ? 'no C compiler' : r.error.message}`);
if (r.status !== 0) skip(`${cc} exited with ${r.status}`);
renameSync(tmp, out); // atomic: a broker starting meanwhile never loads a half-written file
console.log(`runnel: built ${out}`);
