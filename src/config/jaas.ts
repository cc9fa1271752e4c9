/**
 * Kafka's `sasl.jaas.config` value: one JAAS login module entry,
 *
 *   org.apache.kafka.common.security.plain.PlainLoginModule required
 *     username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";
 *
 * parsed into the module class, its control flag and its options. Values are words or
 * double-quoted strings (backslash escapes the next character), as Kafka's JaasConfig tokenizer
 * reads them. Only one entry is allowed, as in Kafka ("must contain one login module").
 */
export interface JaasEntry {
  loginModule: string;
  flag: string;
  options: Map<string, string>;
}

export class JaasConfigError extends Error {}

const FLAGS = new Set(['required', 'requisite', 'sufficient', 'optional']);

/** Splits into words, quoted strings, '=' and ';'. */
function tokens(text: string): Array<{ kind: 'word' | 'quoted' | '=' | ';'; text: string }> {
  const out: Array<{ kind: 'word' | 'quoted' | '=' | ';'; text: string }> = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) i++;
    else if (c === '=' || c === ';') {
      out.push({ kind: c, text: c });
      i++;
    } else if (c === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new JaasConfigError('unterminated quoted string in sasl.jaas.config');
        const d = text[i++]!;
        if (d === '"') break;
        if (d === '\\' && i < text.length) s += text[i++]!;
        else s += d;
      }
      out.push({ kind: 'quoted', text: s });
    } else {
      const m = /^[^\s=;"]+/.exec(text.slice(i))!;
      out.push({ kind: 'word', text: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

export function parseJaasConfig(text: string): JaasEntry {
  const t = tokens(text);
  let i = 0;
  const next = () => t[i++];
  const module = next();
  if (!module || module.kind !== 'word') throw new JaasConfigError('sasl.jaas.config must start with a login module class name');
  const flag = next();
  if (!flag || flag.kind !== 'word' || !FLAGS.has(flag.text.toLowerCase())) {
    throw new JaasConfigError(`sasl.jaas.config: login module control flag must be one of ${[...FLAGS].join(', ')}`);
  }
  const options = new Map<string, string>();
  for (;;) {
    const key = next();
    if (!key) throw new JaasConfigError("sasl.jaas.config must end with ';'");
    if (key.kind === ';') break;
    if (key.kind !== 'word') throw new JaasConfigError('sasl.jaas.config: expected an option name');
    if (next()?.kind !== '=') throw new JaasConfigError(`sasl.jaas.config: expected '=' after ${key.text}`);
    const value = next();
    if (!value || (value.kind !== 'word' && value.kind !== 'quoted')) throw new JaasConfigError(`sasl.jaas.config: expected a value for ${key.text}`);
    options.set(key.text, value.text);
  }
  if (i < t.length) throw new JaasConfigError('sasl.jaas.config must contain exactly one login module entry');
  return { loginModule: module.text, flag: flag.text, options };
}
