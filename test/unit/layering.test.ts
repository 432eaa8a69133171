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

/**
 * The layer a source path belongs to. Inside broker/, from the top: broker.ts wires everything
 * together; network/ (sockets, framing, the router) calls into handlers/; handlers/ use the broker's
 * core (context, config, metadata, coordinator, ...), which knows neither of them. In cli/, only
 * server-start.ts starts a broker.
 */
function layerOf(rel: string): string {
  if (rel === 'broker/broker.ts') return 'broker/broker.ts';
  if (rel === 'cli/server-start.ts') return 'cli/server-start.ts';
  if (/^cli\/dump-log-[^/]*\.[jt]s$/.test(rel)) return 'cli/dump-log';
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
const BROKER = ['broker/broker.ts', 'broker/network', 'broker/handlers', 'broker'];
const rules: Rule[] = [
  { layer: 'util', mayImport: ['util'], forbiddenModules: NO_IO },
  { layer: 'protocol', mayImport: ['protocol'], forbiddenModules: NO_IO },
  { layer: 'storage', mayImport: ['storage', 'protocol', 'util'], forbiddenModules: SOCKETS },
  { layer: 'broker', mayImport: ['broker', 'storage', 'protocol', 'util'], forbiddenModules: SOCKETS },
  { layer: 'broker/handlers', mayImport: ['broker/handlers', 'broker', 'storage', 'protocol', 'util'], forbiddenModules: SOCKETS },
  // The broker's own client side (peers.ts: requests to other brokers) reuses the client's Connection.
  { layer: 'broker/network', mayImport: ['broker/network', 'broker/handlers', 'broker', 'protocol', 'util', 'client'], forbiddenModules: /^$/ },
  { layer: 'broker/broker.ts', mayImport: [...BROKER, 'storage', 'protocol', 'util'], forbiddenModules: SOCKETS },
  { layer: 'client', mayImport: ['client', 'protocol'], forbiddenModules: /^$/ },
  { layer: 'cli', mayImport: ['cli', 'cli/dump-log', 'client', 'protocol', 'util'], forbiddenModules: /^$/ },
  // kafka-dump-log's readers (cli/dump-log-*.ts) open segment files offline, with the storage layer's own decoders.
  { layer: 'cli/dump-log', mayImport: ['cli/dump-log', 'client', 'protocol', 'util', 'storage'], forbiddenModules: /^$/ },
  { layer: 'cli/server-start.ts', mayImport: ['cli', 'client', 'protocol', 'util', ...BROKER], forbiddenModules: /^$/ },
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

test('every file under src/ but index.ts is in a layer with a rule', () => {
  const unruled = files(src)
    .map((f) => relative(src, f))
    .filter((rel) => rel !== 'index.ts' && !rules.some((r) => r.layer === layerOf(rel)));
  assert.deepEqual(unruled, []);
});

test('the rules are a hierarchy: no two layers may import each other, directly or around a loop', () => {
  const edges = new Map(rules.map((r) => [r.layer, r.mayImport.filter((l) => l !== r.layer)]));
  const cycles: string[] = [];
  const visit = (layer: string, path: string[]): void => {
    if (path.includes(layer)) {
      cycles.push([...path.slice(path.indexOf(layer)), layer].join(' -> '));
      return;
    }
    for (const next of edges.get(layer) ?? []) visit(next, [...path, layer]);
  };
  for (const r of rules) visit(r.layer, []);
  assert.deepEqual(cycles, []);
});
