/**
 * Regular expressions from clients, matched in linear time. A client-supplied pattern run by a
 * backtracking engine can take exponential time on a short input ((a+)+$), blocking the event
 * loop; Kafka matches client regexes with RE2/J-style or java.util.regex engines on its own
 * threads. V8's experimental linear-time engine (the `l` flag) is an RE2-like automaton with no
 * backtracking; patterns it cannot run in linear time (backreferences, lookaround) are refused
 * as invalid — as RE2/J refuses them.
 *
 * The engine sits behind a V8 flag that may be turned on at run time (it affects regexes compiled
 * afterwards), so the embedded broker needs no node command-line flag.
 */
import { setFlagsFromString } from 'node:v8';

let enabled = false;

export class InvalidRegexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRegexError';
  }
}

/**
 * `pattern` as a whole-string matcher (Java's Matcher.matches()), run in linear time. Throws
 * InvalidRegexError when it does not parse, needs backtracking, or is longer than `maxLength`.
 */
export function wholeMatchRegex(pattern: string, maxLength: number): RegExp {
  if (pattern.length > maxLength) throw new InvalidRegexError(`The regular expression is ${pattern.length} characters long, more than the ${maxLength} allowed.`);
  try {
    return linearWholeMatch(pattern);
  } catch (err) {
    throw new InvalidRegexError(`Invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

/** `pattern` compiled as a whole-string matcher by the linear-time engine; throws V8's SyntaxError. */
export function linearWholeMatch(pattern: string): RegExp {
  if (!enabled) {
    setFlagsFromString('--enable-experimental-regexp-engine');
    enabled = true;
  }
  return new RegExp(`^(?:${pattern})$`, 'l');
}
