// Reads Apache Kafka's message specs (JSON with // comments) into a small model the emitter uses.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** An inclusive version range; `hi` is Infinity for an open-ended "N+" range; empty when lo > hi. */
export interface Range {
  lo: number;
  hi: number;
}

export const NONE: Range = { lo: 1, hi: 0 };
export const ALL: Range = { lo: 0, hi: Infinity };

export function parseRange(s: string | undefined, fallback: Range): Range {
  if (s === undefined) return fallback;
  const t = s.trim();
  if (t === 'none') return NONE;
  let m = /^(\d+)\+$/.exec(t);
  if (m) return { lo: Number(m[1]), hi: Infinity };
  m = /^(\d+)-(\d+)$/.exec(t);
  if (m) return { lo: Number(m[1]), hi: Number(m[2]) };
  m = /^(\d+)$/.exec(t);
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) };
  throw new Error(`bad version range ${JSON.stringify(s)}`);
}

export const isEmpty = (r: Range): boolean => r.lo > r.hi;
export const intersect = (a: Range, b: Range): Range => ({ lo: Math.max(a.lo, b.lo), hi: Math.min(a.hi, b.hi) });
export const contains = (r: Range, v: number): boolean => v >= r.lo && v <= r.hi;
/** Smallest range covering both. */
export const hull = (a: Range, b: Range): Range =>
  isEmpty(a) ? b : isEmpty(b) ? a : { lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) };
/** a minus b, when the result is one range (b open-ended at the top, or disjoint). */
export function subtract(a: Range, b: Range): Range {
  if (isEmpty(b) || b.hi < a.lo || b.lo > a.hi) return a;
  if (b.lo <= a.lo && b.hi >= a.hi) return NONE;
  if (b.hi >= a.hi) return { lo: a.lo, hi: b.lo - 1 };
  if (b.lo <= a.lo) return { lo: b.hi + 1, hi: a.hi };
  throw new Error(`range ${JSON.stringify(a)} minus ${JSON.stringify(b)} is not one range`);
}

export const PRIMITIVES = new Set([
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'bytes',
  'records',
  'uuid',
]);

export type TypeRef =
  | { kind: 'prim'; name: string }
  | { kind: 'array'; elem: TypeRef }
  | { kind: 'struct'; struct: StructDef };

export interface FieldDef {
  /** Spec name, e.g. ThrottleTimeMs. */
  specName: string;
  /** camelCase property name. */
  name: string;
  type: TypeRef;
  versions: Range;
  nullable: Range;
  /** Versions in which the field travels in the tagged section. */
  tagged: Range;
  tag: number | undefined;
  ignorable: boolean;
  /** Field-level override of compact encoding (RequestHeader.ClientId has "none"). */
  flexible: Range | undefined;
  /** Raw default from the spec, if any. */
  defaultRaw: string | undefined;
}

export interface StructDef {
  /** TypeScript interface name. */
  name: string;
  specName: string;
  fields: FieldDef[];
  /** Versions of the message in which this struct can appear. */
  reach: Range;
}

export interface MessageDef {
  specName: string; // ProduceRequest
  kind: 'request' | 'response' | 'header';
  apiKey: number | undefined;
  listeners: string[];
  valid: Range;
  flexible: Range;
  latestVersionUnstable: boolean;
  root: StructDef;
  /** Nested structs in a stable order (first use, depth first). */
  structs: StructDef[];
}

/** Removes // comments outside of JSON strings. */
export function stripComments(src: string): string {
  let out = '';
  let inStr = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (inStr) {
      out += c;
      if (c === '\\') {
        out += src[++i] ?? '';
      } else if (c === '"') inStr = false;
    } else if (c === '"') {
      inStr = true;
      out += c;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      out += '\n';
    } else out += c;
  }
  return out;
}

export interface RawField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number | string;
  ignorable?: boolean;
  flexibleVersions?: string;
  default?: string | number | boolean;
  fields?: RawField[];
}

export interface RawStruct {
  name: string;
  versions: string;
  fields: RawField[];
}

export interface RawSpec {
  apiKey?: number;
  type: 'request' | 'response' | 'header' | 'data' | 'metadata';
  name: string;
  listeners?: string[];
  validVersions: string;
  flexibleVersions: string;
  latestVersionUnstable?: boolean;
  fields: RawField[];
  commonStructs?: RawStruct[];
}

export function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export function loadSpec(path: string): RawSpec {
  return JSON.parse(stripComments(readFileSync(path, 'utf8'))) as RawSpec;
}

export function buildMessage(raw: RawSpec): MessageDef {
  const valid = parseRange(raw.validVersions, NONE);
  const flexible = parseRange(raw.flexibleVersions, NONE);
  const msgName = raw.name;
  const structs: StructDef[] = [];
  const byName = new Map<string, StructDef>();
  const common = new Map((raw.commonStructs ?? []).map((c) => [c.name, c]));

  const tsName = (specName: string): string => (specName.startsWith(msgName) ? specName : msgName + specName);

  function structFor(specName: string, rawFields: RawField[] | undefined, reach: Range): StructDef {
    let s = byName.get(specName);
    if (s) {
      if (rawFields && !common.has(specName)) throw new Error(`${msgName}: struct ${specName} defined twice`);
      s.reach = hull(s.reach, reach);
      // Widen nested structs' reach too.
      for (const f of s.fields) widen(f, intersect(f.versions, s.reach));
      return s;
    }
    const fieldsSrc = rawFields ?? common.get(specName)?.fields;
    if (!fieldsSrc) throw new Error(`${msgName}: unknown struct ${specName}`);
    s = { name: tsName(specName), specName, fields: [], reach };
    byName.set(specName, s);
    structs.push(s);
    s.fields = fieldsSrc.map((f) => buildField(f, reach));
    return s;
  }

  function widen(f: FieldDef, reach: Range): void {
    const t = f.type.kind === 'array' ? f.type.elem : f.type;
    if (t.kind === 'struct') {
      t.struct.reach = hull(t.struct.reach, reach);
      for (const g of t.struct.fields) widen(g, intersect(g.versions, t.struct.reach));
    }
  }

  function buildType(type: string, f: RawField, reach: Range): TypeRef {
    if (type.startsWith('[]')) return { kind: 'array', elem: buildType(type.slice(2), f, reach) };
    if (PRIMITIVES.has(type)) return { kind: 'prim', name: type };
    return { kind: 'struct', struct: structFor(type, f.fields, reach) };
  }

  function buildField(f: RawField, parentReach: Range): FieldDef {
    const versions = parseRange(f.versions, NONE);
    const reach = intersect(intersect(versions, parentReach), valid);
    const tagged = f.tag !== undefined ? parseRange(f.taggedVersions, NONE) : NONE;
    if (f.tag !== undefined && isEmpty(tagged)) throw new Error(`${msgName}.${f.name}: tag without taggedVersions`);
    return {
      specName: f.name,
      name: camel(f.name),
      type: buildType(f.type, f, reach),
      versions,
      nullable: parseRange(f.nullableVersions, NONE),
      tagged,
      tag: f.tag === undefined ? undefined : Number(f.tag),
      ignorable: f.ignorable === true,
      flexible: f.flexibleVersions !== undefined ? parseRange(f.flexibleVersions, NONE) : undefined,
      defaultRaw: f.default === undefined ? undefined : String(f.default),
    };
  }

  const root: StructDef = { name: msgName, specName: msgName, fields: [], reach: valid };
  root.fields = raw.fields.map((f) => buildField(f, valid));
  const names = new Set<string>([root.name]);
  for (const s of structs) {
    if (names.has(s.name)) throw new Error(`${msgName}: duplicate struct name ${s.name}`);
    names.add(s.name);
  }
  return {
    specName: msgName,
    kind: raw.type as MessageDef['kind'],
    apiKey: raw.apiKey,
    listeners: raw.listeners ?? [],
    valid,
    flexible,
    latestVersionUnstable: raw.latestVersionUnstable === true,
    root,
    structs,
  };
}

export interface ApiDef {
  apiKey: number;
  /** Produce, Fetch, ApiVersions, ... */
  name: string;
  request: MessageDef;
  response: MessageDef;
}

export interface SpecSet {
  apis: ApiDef[];
  requestHeader: MessageDef;
  responseHeader: MessageDef;
}

/** Every spec file in one directory. */
export function loadSpecDir(dir: string): RawSpec[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => loadSpec(join(dir, f)));
}

/** Every API whose request is served by a broker listener (ApiVersions always), sorted by key. */
export function loadSpecs(dir: string): SpecSet {
  return buildSpecSet(loadSpecDir(dir));
}

/**
 * APIs a Tributary broker serves although Kafka 4's specs no longer list the `broker` listener for
 * them: ApiVersions, and the ZooKeeper-era inter-broker requests a cluster on etcd uses
 * (AlterPartition to the controller, ControlledShutdown from a stopping broker).
 */
const INTER_BROKER_APIS = new Set(['ApiVersions', 'AlterPartition', 'ControlledShutdown']);

/** The APIs (and headers) of a set of raw specs: those a broker listener serves, sorted by key. */
export function buildSpecSet(raws: RawSpec[]): SpecSet {
  const requests = new Map<string, RawSpec>();
  const responses = new Map<string, RawSpec>();
  let reqHeader: RawSpec | undefined;
  let respHeader: RawSpec | undefined;
  for (const raw of raws) {
    if (raw.type === 'request') requests.set(raw.name.replace(/Request$/, ''), raw);
    else if (raw.type === 'response') responses.set(raw.name.replace(/Response$/, ''), raw);
    else if (raw.type === 'header' && raw.name === 'RequestHeader') reqHeader = raw;
    else if (raw.type === 'header' && raw.name === 'ResponseHeader') respHeader = raw;
  }
  if (!reqHeader || !respHeader) throw new Error('RequestHeader.json / ResponseHeader.json missing');
  const apis: ApiDef[] = [];
  for (const [name, req] of requests) {
    const listeners = req.listeners ?? [];
    if (!listeners.includes('broker') && !INTER_BROKER_APIS.has(name)) continue;
    const resp = responses.get(name);
    if (!resp) throw new Error(`no response spec for ${name}`);
    if (req.apiKey === undefined || req.apiKey !== resp.apiKey) throw new Error(`api key mismatch for ${name}`);
    apis.push({ apiKey: req.apiKey, name, request: buildMessage(req), response: buildMessage(resp) });
  }
  apis.sort((a, b) => a.apiKey - b.apiKey);
  return { apis, requestHeader: buildMessage(reqHeader), responseHeader: buildMessage(respHeader) };
}
