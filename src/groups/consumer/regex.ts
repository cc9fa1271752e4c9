/**
 * Topic subscription by regular expression (KIP-848's SubscribedTopicRegex). Kafka compiles it
 * with RE2/J and matches whole topic names. We compile it with V8's linear-time regexp engine
 * (src/regex/linear-regex.ts): like RE2 it runs in time linear in the name, so a hostile pattern
 * cannot stall the event loop, and like RE2 it refuses backreferences and lookaround.
 * Differences from RE2/J: `(?P<name>...)` is rewritten to JS's `(?<name>...)`, a leading `(?i)` is
 * rewritten to both cases of every ASCII letter (the linear engine has no `i` flag); other RE2-only syntax (`\Q...\E`, `[[:alpha:]]`, `\pL`, inline flags
 * elsewhere) is refused as INVALID_REGULAR_EXPRESSION.
 */
import { linearWholeMatch } from '../../regex/linear-regex.js';

const cache = new Map<string, RegExp | null>();
const CACHE_MAX = 1000;

/** The compiled full-match pattern, or null when it is not a valid (linear-time) expression. */
export function compileTopicRegex(source: string): RegExp | null {
  const hit = cache.get(source);
  if (hit !== undefined) return hit;
  let body = source.replace(/\(\?P</g, '(?<');
  // The linear engine has no case-insensitive flag: (?i) becomes both cases of every letter.
  if (body.startsWith('(?i)')) body = bothCases(body.slice(4));
  let re: RegExp | null;
  try {
    re = linearWholeMatch(body);
  } catch {
    re = null;
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(source, re);
  return re;
}

const isLetter = (c: string) => /^[A-Za-z]$/.test(c);
const other = (c: string) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase());

/** `abc` → `[aA][bB][cC]`, `[a-f]` → `[a-fA-F]`; escapes and group names are left alone. */
function bothCases(src: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      out += c + (src[i + 1] ?? '');
      i++;
    } else if (!inClass && src.startsWith('(?<', i) && src[i + 3] !== '=' && src[i + 3] !== '!') {
      const end = src.indexOf('>', i);
      if (end < 0) return src;
      out += src.slice(i, end + 1);
      i = end;
    } else if (c === '[' && !inClass) {
      inClass = true;
      out += c;
    } else if (c === ']' && inClass) {
      inClass = false;
      out += c;
    } else if (inClass && isLetter(c) && src[i + 1] === '-' && src[i + 2] !== undefined && isLetter(src[i + 2]!)) {
      const hi = src[i + 2]!;
      out += `${c}-${hi}${other(c)}-${other(hi)}`;
      i += 2;
    } else if (isLetter(c)) {
      out += inClass ? c + other(c) : `[${c}${other(c)}]`;
    } else {
      out += c;
    }
  }
  return out;
}
