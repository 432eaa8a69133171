/**
 * ssl.principal.mapping.rules: how a client certificate's distinguished name (RFC 2253 form,
 * most specific first: `CN=alice,OU=eng,O=Acme,C=GB`) becomes a user name. Kafka's syntax: a
 * comma-separated list of `RULE:pattern/replacement/` (optionally followed by `L` or `U` to
 * lower- or upper-case the result) and `DEFAULT` (the DN as it is). The first rule whose pattern
 * matches the whole DN decides; no match at all fails the login, as in Kafka.
 */
export type MappingRule = { kind: 'default' } | { kind: 'rule'; pattern: RegExp; replacement: string; toCase: '' | 'L' | 'U' };

const RULE = /^\s*(?:(DEFAULT)|RULE:((?:\\\/|[^/])*)\/((?:\\\/|[^/])*)\/([LU]?))\s*(?:,|$)/;

export function parseMappingRules(text: string): MappingRule[] {
  const rules: MappingRule[] = [];
  let rest = text.trim();
  if (rest === '') return [{ kind: 'default' }];
  while (rest.length > 0) {
    const m = RULE.exec(rest);
    if (!m) throw new Error(`Invalid rule: ${rest}`);
    if (m[1]) rules.push({ kind: 'default' });
    else {
      const source = m[2]!.replace(/\\\//g, '/');
      let pattern: RegExp;
      try {
        pattern = new RegExp(`^(?:${source})$`);
      } catch (err) {
        throw new Error(`Invalid rule pattern ${source}: ${(err as Error).message}`);
      }
      rules.push({ kind: 'rule', pattern, replacement: m[3]!.replace(/\\\//g, '/'), toCase: (m[4] ?? '') as '' | 'L' | 'U' });
    }
    rest = rest.slice(m[0].length).trim();
  }
  return rules;
}

/** The user name for `dn`, or null when no rule matches. */
export function mapPrincipal(rules: readonly MappingRule[], dn: string): string | null {
  for (const r of rules) {
    if (r.kind === 'default') return dn;
    if (!r.pattern.test(dn)) continue;
    const out = dn.replace(r.pattern, r.replacement);
    return r.toCase === 'L' ? out.toLowerCase() : r.toCase === 'U' ? out.toUpperCase() : out;
  }
  return null;
}

/**
 * RFC 2253 string of a subject as node prints it (`X509Certificate.subject`: one `K=V` per line,
 * in certificate order): reversed and comma-joined, with RFC 2253's escapes.
 */
export function rfc2253(subjectLines: string): string {
  const parts = subjectLines.split('\n').filter((l) => l !== '');
  return parts
    .reverse()
    .map((p) => {
      const eq = p.indexOf('=');
      const k = p.slice(0, eq);
      const v = p.slice(eq + 1).replace(/([,+"\\<>;])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
      return `${k}=${v}`;
    })
    .join(',');
}
