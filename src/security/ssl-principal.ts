/**
 * The principal of an SSL connection, as Kafka's DefaultKafkaPrincipalBuilder makes it: the
 * client certificate's subject as an RFC 2253 distinguished name ("CN=alice,OU=eng,O=acme"),
 * mapped through `ssl.principal.mapping.rules`; a connection without a client certificate is
 * User:ANONYMOUS.
 *
 * Rules (Kafka's SslPrincipalMapper): comma-separated `DEFAULT` (the name unchanged) or
 * `RULE:pattern/replacement/[L|U]`; the first rule whose pattern matches the WHOLE name wins, its
 * replacement ($1 ... for groups) is applied, then lower- or upper-cased. No matching rule: the
 * name cannot be mapped and the connection is refused (Kafka fails the authentication too).
 */
import type { X509Certificate } from 'node:crypto';
import { ConfigError } from '../config/values.js';

interface Rule {
  /** null for DEFAULT. */
  readonly pattern: RegExp | null;
  readonly replacement: string;
  readonly caseChange: '' | 'L' | 'U';
}

/** Kafka's rule syntax; rules may be separated by commas and whitespace. */
const RULE = /\s*(?:(DEFAULT)|RULE:((?:[^/\\]|\\.)*)\/((?:[^/\\]|\\.)*)\/([LU])?)\s*(?:,|$)/gy;

export class SslPrincipalMapper {
  private constructor(private readonly rules: readonly Rule[]) {}

  /** Parses ssl.principal.mapping.rules; throws ConfigError on a malformed rule or pattern. */
  static fromConfig(text: string | null): SslPrincipalMapper {
    const source = text === null || text.trim() === '' ? 'DEFAULT' : text.trim();
    const rules: Rule[] = [];
    RULE.lastIndex = 0;
    while (RULE.lastIndex < source.length) {
      const at = RULE.lastIndex;
      const m = RULE.exec(source);
      if (!m) throw new ConfigError('ssl.principal.mapping.rules', `Invalid rule at "${source.slice(at, at + 40)}" in ssl.principal.mapping.rules: expected DEFAULT or RULE:pattern/replacement/[L|U]`);
      if (m[1]) {
        rules.push({ pattern: null, replacement: '', caseChange: '' });
        continue;
      }
      let pattern: RegExp;
      try {
        // Java's Matcher.matches(): the pattern must match the whole name.
        pattern = new RegExp(`^(?:${m[2]!})$`);
      } catch (err) {
        throw new ConfigError('ssl.principal.mapping.rules', `Invalid pattern "${m[2]}" in ssl.principal.mapping.rules: ${(err as Error).message}`);
      }
      rules.push({ pattern, replacement: m[3]!, caseChange: (m[4] as 'L' | 'U' | undefined) ?? '' });
    }
    return new SslPrincipalMapper(rules);
  }

  /** The principal name for a distinguished name, or null when no rule matches. */
  map(distinguishedName: string): string | null {
    for (const r of this.rules) {
      if (r.pattern === null) return distinguishedName;
      if (!r.pattern.test(distinguishedName)) continue;
      const out = distinguishedName.replace(r.pattern, r.replacement);
      return r.caseChange === 'L' ? out.toLowerCase() : r.caseChange === 'U' ? out.toUpperCase() : out;
    }
    return null;
  }
}

/**
 * The subject as RFC 2253 prints it (Java's X500Principal.getName()): most specific RDN first,
 * comma-separated. Node lists the RDNs in certificate order, one per line, already escaped per
 * RFC 2253, so only the order and the separator change.
 */
export function rfc2253Subject(cert: X509Certificate): string {
  return cert.subject.split('\n').filter((l) => l !== '').reverse().join(',');
}
