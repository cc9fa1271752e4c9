/**
 * Topic subscription by regular expression (KIP-848's SubscribedTopicRegex). Kafka compiles it
 * with RE2/J and matches whole topic names. We compile it with V8's linear-time regexp engine
 * (the `l` flag, enabled below): like RE2 it runs in time linear in the name, so a hostile pattern
 * cannot stall the event loop, and like RE2 it refuses backreferences and lookaround.
 * Differences from RE2/J: `(?P<name>...)` is rewritten to JS's `(?<name>...)`, a leading `(?i)` becomes
 * the case-insensitive flag; other RE2-only syntax (`\Q...\E`, `[[:alpha:]]`, `\pL`, inline flags
 * elsewhere) is refused as INVALID_REGULAR_EXPRESSION.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--enable-experimental-regexp-engine');

const cache = new Map<string, RegExp | null>();
const CACHE_MAX = 1000;

/** The compiled full-match pattern, or null when it is not a valid (linear-time) expression. */
export function compileTopicRegex(source: string): RegExp | null {
  const hit = cache.get(source);
  if (hit !== undefined) return hit;
  let body = source;
  let flags = 'l';
  if (body.startsWith('(?i)')) {
    body = body.slice(4);
    flags += 'i';
  }
  body = body.replace(/\(\?P</g, '(?<');
  let re: RegExp | null;
  try {
    re = new RegExp(`^(?:${body})$`, flags);
  } catch {
    re = null;
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(source, re);
  return re;
}
