/** Command-line arguments → config layers (file < env < flags), for src/cli.ts. */
import { envLayer, loadPropertiesFile, type ConfigLayer } from './broker-config.js';

export const USAGE = `usage: runnel [start] [server.properties | --config FILE] [--set key=value]... [--key value | --key=value]...
Kafka config names (runnel start --help lists them); env vars KAFKA_<KEY> work too.`;

export async function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<ConfigLayer[]> {
  const layers: ConfigLayer[] = [];
  const flags = new Map<string, unknown>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      throw new UsageRequested(USAGE);
    }
    if (a === '--config' || a === '-c' || a.startsWith('--config=')) {
      // `--config FILE`: the properties file, as a flag (the positional form still works).
      const file = a.startsWith('--config=') ? a.slice('--config='.length) : argv[++i];
      if (!file) throw new Error(`--config needs a file\n${USAGE}`);
      if (layers.length > 0) throw new Error(`only one properties file can be given\n${USAGE}`);
      layers.push({ source: 'file', values: await loadPropertiesFile(file) });
    } else if (a === '--override' || a === '--set') {
      const kv = argv[++i];
      const eq = kv?.indexOf('=') ?? -1;
      if (!kv || eq <= 0) throw new Error(`${a} needs key=value\n${USAGE}`);
      flags.set(kv.slice(0, eq), kv.slice(eq + 1));
    } else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
      else {
        const value = argv[++i];
        if (value === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
        flags.set(a.slice(2), value);
      }
    } else if (layers.length === 0) {
      layers.push({ source: 'file', values: await loadPropertiesFile(a) });
    } else throw new Error(`unexpected argument ${a}\n${USAGE}`);
  }
  layers.push(envLayer(env));
  layers.push({ source: 'flag', values: flags });
  return layers;
}

export class UsageRequested extends Error {}
