/**
 * Kafka's JAAS config value (`sasl.jaas.config`):
 *   `<LoginModule class> <required|requisite|sufficient|optional> key="value" key2=value2;`
 * One module per entry; values may be quoted (with \" and \\ escapes) or bare words.
 */
export interface JaasEntry {
  loginModule: string;
  flag: string;
  options: Map<string, string>;
}

export function parseJaasConfig(text: string): JaasEntry[] {
  const entries: JaasEntry[] = [];
  let i = 0;
  const s = text;
  const skipWs = (): void => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const word = (): string => {
    const start = i;
    while (i < s.length && /[A-Za-z0-9_.$\-]/.test(s[i]!)) i++;
    if (i === start) throw new Error(`JAAS config: expected a name at offset ${i}`);
    return s.slice(start, i);
  };
  const value = (): string => {
    if (s[i] !== '"') return word();
    i++;
    let out = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++;
      out += s[i]!;
      i++;
    }
    if (i >= s.length) throw new Error('JAAS config: unterminated quoted value');
    i++;
    return out;
  };
  skipWs();
  while (i < s.length) {
    const loginModule = word();
    skipWs();
    const flag = word().toLowerCase();
    if (!['required', 'requisite', 'sufficient', 'optional'].includes(flag)) throw new Error(`JAAS config: login module control flag ${flag} is not one of required, requisite, sufficient, optional`);
    const options = new Map<string, string>();
    skipWs();
    while (i < s.length && s[i] !== ';') {
      const k = word();
      skipWs();
      if (s[i] !== '=') throw new Error(`JAAS config: expected '=' after ${k}`);
      i++;
      skipWs();
      options.set(k, value());
      skipWs();
    }
    if (s[i] !== ';') throw new Error('JAAS config: an entry must end with ";"');
    i++;
    entries.push({ loginModule, flag, options });
    skipWs();
  }
  if (entries.length === 0) throw new Error('JAAS config: no login module');
  return entries;
}

/** PlainLoginModule's users: every `user_<name>="<password>"` option. */
export function plainUsers(entries: readonly JaasEntry[]): Map<string, string> {
  const users = new Map<string, string>();
  for (const e of entries) for (const [k, v] of e.options) if (k.startsWith('user_')) users.set(k.slice(5), v);
  return users;
}
