// Test helper (not a test): builds random message values of the right shape for any API version,
// from the schema the code generator writes next to the generated codecs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ZERO_UUID } from '../../src/protocol/primitives/index.js';

export type VRange = [number, number] | null; // hi -1 means open-ended

export interface SchemaField {
  name: string;
  type: string;
  versions: VRange;
  nullable?: VRange;
  tag?: number;
  tagged?: VRange;
  flexible?: VRange;
  default?: string;
  ignorable?: boolean;
}

export interface SchemaMessage {
  name: string;
  valid: VRange;
  flexible: VRange;
  structs: Record<string, SchemaField[]>;
}

export interface SchemaApi {
  apiKey: number;
  name: string;
  file: string;
  request: SchemaMessage;
  response: SchemaMessage;
}

export interface Schema {
  requestHeader: SchemaMessage;
  responseHeader: SchemaMessage;
  apis: SchemaApi[];
}

/** The repository root, from dist/test/unit/ or test/unit/. */
export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      readFileSync(join(d, 'package.json'));
      return d;
    } catch {
      d = dirname(d);
    }
  }
  throw new Error('repository root not found');
}

let cached: Schema | undefined;
export function loadSchema(): Schema {
  cached ??= JSON.parse(readFileSync(join(repoRoot(), 'src/protocol/messages/schema.json'), 'utf8')) as Schema;
  return cached;
}

export const inRange = (r: VRange | undefined, v: number): boolean =>
  r != null && v >= r[0] && (r[1] === -1 || v <= r[1]);

export function versionsOf(m: SchemaMessage): number[] {
  const out: number[] = [];
  if (!m.valid) return out;
  for (let v = m.valid[0]; v <= m.valid[1]; v++) out.push(v);
  return out;
}

/** Deterministic PRNG (mulberry32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(0, 255);
    return b;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)]!;
  }
}


export function defaultValue(msg: SchemaMessage, f: SchemaField): unknown {
  if (f.default === 'null') return null;
  if (f.type.startsWith('[]')) return [];
  if (f.type.startsWith('struct:')) return defaultStruct(msg, f.type.slice(7));
  const raw = f.default;
  switch (f.type) {
    case 'bool':
      return raw !== undefined && raw.toLowerCase() === 'true';
    case 'int64':
      return raw === undefined || raw === '' ? 0n : BigInt(raw);
    case 'string':
      return raw ?? '';
    case 'uuid':
      return ZERO_UUID;
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    default:
      return raw === undefined || raw === '' ? 0 : Number(raw);
  }
}

export function defaultStruct(msg: SchemaMessage, name: string): Record<string, unknown> {
  const fields = msg.structs[name];
  if (!fields) throw new Error(`no struct ${name}`);
  const o: Record<string, unknown> = {};
  for (const f of fields) o[f.name] = defaultValue(msg, f);
  return o;
}

const CHARS = ['a', 'b', 'z', '0', '-', '_', '.', ' ', 'é', '日', '😀'];

function randomPrim(rng: Rng, type: string): unknown {
  switch (type) {
    case 'bool':
      return rng.bool();
    case 'int8':
      return rng.int(-128, 127);
    case 'int16':
      return rng.int(-32768, 32767);
    case 'uint16':
      return rng.int(0, 65535);
    case 'int32':
      return rng.pick([0, -1, 1, 2147483647, -2147483648, rng.int(-2147483648, 2147483647)]);
    case 'uint32':
      return rng.pick([0, 4294967295, rng.int(0, 4294967295)]);
    case 'int64':
      return rng.pick([0n, -1n, 9223372036854775807n, -9223372036854775808n, BigInt(rng.int(-1e9, 1e9)) * 1000003n]);
    case 'float64':
      return rng.pick([0, 1.5, -2.25, Number.MAX_VALUE, rng.next() * 1e6]);
    case 'string': {
      const n = rng.int(0, 8);
      let s = '';
      for (let i = 0; i < n; i++) s += rng.pick(CHARS);
      return s;
    }
    case 'uuid': {
      const h = rng.bytes(16).toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    case 'bytes':
    case 'records':
      return rng.bytes(rng.bool(0.1) ? rng.int(1024, 3000) : rng.int(0, 12));
    default:
      throw new Error(`unknown type ${type}`);
  }
}

/**
 * A random value of struct `name` for `version`: fields on the wire in that version get random
 * values (null sometimes, where nullable), the others keep their defaults. In flexible versions,
 * some structs carry unknown tagged fields (tags 100+), which must survive a round trip.
 */
export function randomStruct(
  rng: Rng,
  msg: SchemaMessage,
  name: string,
  version: number,
  depth = 0,
): Record<string, unknown> {
  const fields = msg.structs[name];
  if (!fields) throw new Error(`no struct ${name}`);
  const flexible = inRange(msg.flexible, version);
  const o: Record<string, unknown> = {};
  for (const f of fields) {
    const present = inRange(f.versions, version) && (!inRange(f.tagged, version) || flexible);
    o[f.name] = present ? randomField(rng, msg, f, version, depth) : defaultValue(msg, f);
  }
  if (flexible && rng.bool(0.2)) {
    const n = rng.int(1, 2);
    const tf = [];
    for (let i = 0; i < n; i++) tf.push({ tag: 100 + i * 7 + rng.int(0, 5), data: rng.bytes(rng.int(0, 5)) });
    o['_unknownTaggedFields'] = tf;
  }
  return o;
}

function randomField(rng: Rng, msg: SchemaMessage, f: SchemaField, version: number, depth: number): unknown {
  if (inRange(f.nullable, version) && rng.bool(0.2)) return null;
  if (f.type.startsWith('[]')) {
    const elem = f.type.slice(2);
    const n = depth > 3 ? 0 : rng.int(0, 3);
    const a = [];
    for (let i = 0; i < n; i++)
      a.push(elem.startsWith('struct:') ? randomStruct(rng, msg, elem.slice(7), version, depth + 1) : randomPrim(rng, elem));
    return a;
  }
  if (f.type.startsWith('struct:')) return randomStruct(rng, msg, f.type.slice(7), version, depth + 1);
  return randomPrim(rng, f.type);
}
