import { ensureJavaBuilt, runJava, runJavaOk } from '/work/wt/kip848/test/helpers/java.js';
const b = '127.0.0.1:29848';
await ensureJavaBuilt();
console.log(JSON.stringify((await runJavaOk('Produce', ['--bootstrap', b, '--topic', 'cg1', '--count', '100'])).acked));
const r = await runJava('Consume', ['--bootstrap', b, '--topic', 'cg1', '--group', 'g848', '--group-protocol', 'consumer', '--max', '100', '--commit', '--timeout-ms', '60000', '--idle-ms', '8000']);
console.log(r.code, JSON.stringify(r.json)?.slice(0, 600), r.stderr.slice(-3000));
console.log(JSON.stringify(await runJavaOk('Admin', ['describe-groups', '--bootstrap', b, '--group', 'g848'])));
