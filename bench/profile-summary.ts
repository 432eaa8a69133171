/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): the top functions by self time, and self time
 * per source file, with paths shortened to the repository.
 *   node dist/bench/profile-summary.js <file.cpuprofile> [--top 25]
 */
import { readFileSync } from 'node:fs';
import { isEntryPoint, parseFlags } from './lib.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export function summarise(file: string, top = 25): string {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i + 1] ?? prof.timeDeltas[i] ?? 0));
  }
  const short = (url: string): string => url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/').replace(/^node:/, 'node:');
  const fnKey = (f: CallFrame): string => `${f.functionName || '(anonymous)'}  ${f.url ? `${short(f.url)}:${f.lineNumber + 1}` : ''}`.trim();
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    total += us;
    byFn.set(fnKey(f), (byFn.get(fnKey(f)) ?? 0) + us);
    const fileKey = f.url ? short(f.url) : `(${f.functionName || 'native'})`;
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
  }
  const pct = (us: number): string => ((100 * us) / total).toFixed(1).padStart(5) + '%';
  const ms = (us: number): string => (us / 1000).toFixed(0).padStart(7) + ' ms';
  const lines = [`${file}: ${(total / 1e6).toFixed(2)} s sampled`, '', `top ${top} functions by self time:`];
  for (const [k, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${ms(us)} ${pct(us)}  ${k}`);
  lines.push('', 'self time by file:');
  for (const [k, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`${ms(us)} ${pct(us)}  ${k}`);
  return lines.join('\n');
}

if (isEntryPoint(import.meta.url)) {
  const args = process.argv.slice(2);
  const file = args.shift();
  if (!file) {
    console.error('usage: node dist/bench/profile-summary.js <file.cpuprofile> [--top 25]');
    process.exit(2);
  }
  const f = parseFlags(args, { top: 25 });
  console.log(summarise(file, f.top));
}
