// The import rules of DESIGN.md, checked: a wrong arrow between layers fails the build's tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)) out.push(m[1]!);
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) out.push(m[1]!);
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

/** The layer a source path belongs to: the first one or two path segments under src/. */
function layerOf(rel: string): string {
  const parts = rel.split('/');
  if (parts[0] === 'broker' && (parts[1] === 'network' || parts[1] === 'handlers')) return `broker/${parts[1]}`;
  return parts.length > 1 ? parts[0]! : '.';
}

interface Rule {
  layer: string;
  mayImport: string[];
  forbiddenModules: RegExp;
}

const SOCKETS = /^node:(net|tls|dgram|http|https|http2)$/;
/** protocol/ and util/ turn values into values: no sockets, no files. */
const NO_IO = /^node:(net|tls|fs|fs\/promises|dgram|http|https|http2)$/;
const rules: Rule[] = [
  { layer: 'util', mayImport: ['util'], forbiddenModules: NO_IO },
  { layer: 'protocol', mayImport: ['protocol'], forbiddenModules: NO_IO },
  { layer: 'storage', mayImport: ['storage', 'protocol', 'util'], forbiddenModules: SOCKETS },
  { layer: 'broker/handlers', mayImport: ['broker', 'broker/handlers', 'broker/network', 'storage', 'protocol', 'util'], forbiddenModules: SOCKETS },
  { layer: 'broker', mayImport: ['broker', 'broker/handlers', 'broker/network', 'storage', 'protocol', 'util'], forbiddenModules: SOCKETS },
  { layer: 'broker/network', mayImport: ['broker', 'broker/handlers', 'broker/network', 'protocol', 'util'], forbiddenModules: /^$/ },
  { layer: 'client', mayImport: ['client', 'protocol'], forbiddenModules: /^$/ },
  { layer: 'cli', mayImport: ['cli', 'client', 'broker', 'protocol', 'util'], forbiddenModules: /^$/ },
];

test('layers import only what DESIGN.md allows', () => {
  const problems: string[] = [];
  for (const file of files(src)) {
    const rel = relative(src, file);
    const layer = layerOf(rel);
    const rule = rules.find((r) => r.layer === layer);
    if (!rule) continue;
    for (const spec of imports(file)) {
      if (spec.startsWith('.')) {
        const target = relative(src, resolve(dirname(file), spec));
        if (target.startsWith('..')) continue;
        const tl = layerOf(target);
        if (tl === '.' || rule.mayImport.includes(tl)) continue;
        // handlers and network may use the broker's own modules; nothing below may reach up.
        problems.push(`${rel} (${layer}) imports ${target} (${tl})`);
      } else if (rule.forbiddenModules.test(spec)) {
        problems.push(`${rel} (${layer}) imports ${spec}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('only broker/network touches sockets inside the broker', () => {
  const offenders = files(join(src, 'broker'))
    .filter((f) => !relative(src, f).startsWith('broker/network/'))
    .filter((f) => imports(f).some((s) => SOCKETS.test(s)));
  assert.deepEqual(offenders.map((f) => relative(src, f)), []);
});
