/** Whether the module at `url` (its import.meta.url) is the script Node was started with, however the path was given. */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export function isMain(url: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return url === pathToFileURL(realpathSync(resolve(script))).href;
  } catch {
    return false;
  }
}
