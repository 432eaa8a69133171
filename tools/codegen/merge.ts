// Merges two sets of Kafka message specs into one: the union of their versions.
//
// `message/` (4.0.0-SNAPSHOT) still lists every version from 0; `message-4.3.1/` adds newer versions
// and fields but dropped the oldest versions of many APIs (KIP-896). For one message, the newer set
// decides every version from its lowest valid version up; the older set decides the versions below
// it (the older versions it alone still lists). Both sets may describe the same version differently
// (ReadShareGroupStateSummary v0 changed while it was unstable; Vote renamed fields): the newer wins.
//
// Per field, each version-dependent attribute (versions, nullableVersions, taggedVersions,
// flexibleVersions) is split the same way: the older spec's range below the cut, the newer spec's
// range from the cut up. The result must be one range, or the merge fails. A field only the older
// set has keeps the versions it has below the cut (Produce's old fields, ListOffsets' MaxNumOffsets);
// one only the newer set has keeps its versions from the cut up. `ignorable` is set when either spec
// sets it: it only relaxes what the encoder accepts in versions that lack the field.
// Messages are matched by API key and type (ListClientMetricsResources became ListConfigResources);
// the newer set's name wins when it has versions.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ALL, NONE, type Range, intersect, isEmpty, loadSpec, parseRange } from './spec.js';
import type { RawField, RawSpec, RawStruct } from './spec.js';

/** The range as the specs write it: "none", "3", "0-2", "4+". */
export function formatRange(r: Range): string {
  if (isEmpty(r)) return 'none';
  if (r.hi === Infinity) return `${r.lo}+`;
  return r.lo === r.hi ? String(r.lo) : `${r.lo}-${r.hi}`;
}

/** The union of two ranges, which must touch or overlap (else the union is not one range). */
export function union(a: Range, b: Range, what: string): Range {
  if (isEmpty(a)) return b;
  if (isEmpty(b)) return a;
  const [x, y] = a.lo <= b.lo ? [a, b] : [b, a];
  if (y.lo > x.hi + 1) throw new Error(`${what}: ${formatRange(a)} and ${formatRange(b)} are not one range`);
  return { lo: x.lo, hi: Math.max(x.hi, y.hi) };
}

/** Where the two specs of one message split: old decides `old`, new decides `new`. */
interface Cut {
  old: Range;
  new: Range;
}

function cutFor(oldValid: Range, newValid: Range, what: string): Cut {
  if (isEmpty(newValid)) return { old: ALL, new: NONE };
  if (!isEmpty(oldValid) && oldValid.hi > newValid.hi) throw new Error(`${what}: the older specs list versions above the newer ones`);
  return { old: { lo: 0, hi: newValid.lo - 1 }, new: { lo: newValid.lo, hi: Infinity } };
}

/** One version-dependent attribute: old's range below the cut, new's from the cut up. */
function split(oldS: string | undefined, newS: string | undefined, cut: Cut, what: string): string | undefined {
  if (oldS === undefined && newS === undefined) return undefined;
  const a = intersect(parseRange(oldS, NONE), cut.old);
  const b = intersect(parseRange(newS, NONE), cut.new);
  return formatRange(union(a, b, what));
}

function sameOrOne<T>(a: T | undefined, b: T | undefined, what: string): T | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (String(a) !== String(b)) throw new Error(`${what}: ${String(a)} and ${String(b)} differ`);
  return b;
}

function mergeField(o: RawField | undefined, n: RawField | undefined, cut: Cut, path: string): RawField | undefined {
  const what = `${path}`;
  if (o !== undefined && n !== undefined && o.type !== n.type) throw new Error(`${what}: type ${o.type} and ${n.type} differ`);
  const src = n ?? o!;
  const versions = split(o?.versions, n?.versions, cut, `${what}.versions`) ?? 'none';
  if (versions === 'none') return undefined;
  const f: RawField = { name: src.name, type: src.type, versions };
  const nullable = split(o?.nullableVersions, n?.nullableVersions, cut, `${what}.nullableVersions`);
  if (nullable !== undefined && nullable !== 'none') f.nullableVersions = nullable;
  const tag = sameOrOne(o?.tag, n?.tag, `${what}.tag`);
  if (tag !== undefined) {
    f.tag = Number(tag);
    const tagged = split(o?.taggedVersions, n?.taggedVersions, cut, `${what}.taggedVersions`);
    if (tagged !== undefined) f.taggedVersions = tagged;
  }
  if (o?.ignorable === true || n?.ignorable === true) f.ignorable = true;
  const flexible = split(o?.flexibleVersions, n?.flexibleVersions, cut, `${what}.flexibleVersions`);
  if (flexible !== undefined) f.flexibleVersions = flexible;
  // A default that changed: the newer one, which the newer versions use.
  const def = n !== undefined && n.default !== undefined ? n.default : o?.default;
  if (def !== undefined) f.default = def;
  if (o?.fields !== undefined || n?.fields !== undefined) f.fields = mergeFields(o?.fields ?? [], n?.fields ?? [], cut, what);
  return f;
}

/**
 * The fields of both lists in an order consistent with both: the newer list's order, each field only
 * the older list has placed after the field it follows there.
 */
export function mergeFields(oldFs: RawField[], newFs: RawField[], cut: Cut, path: string): RawField[] {
  const oldBy = new Map(oldFs.map((f) => [f.name, f]));
  const newBy = new Map(newFs.map((f) => [f.name, f]));
  const common = (fs: RawField[], other: Map<string, RawField>): string[] => fs.map((f) => f.name).filter((x) => other.has(x));
  const a = common(oldFs, newBy);
  const b = common(newFs, oldBy);
  if (a.join() !== b.join()) throw new Error(`${path}: fields in a different order (${a.join()} / ${b.join()})`);
  const order: Array<[RawField | undefined, RawField | undefined]> = [];
  // Old-only fields before the first common field.
  let i = 0;
  const flushOld = (until: string | undefined): void => {
    while (i < oldFs.length && oldFs[i]!.name !== until) {
      const f = oldFs[i]!;
      if (!newBy.has(f.name)) order.push([f, undefined]);
      i++;
    }
  };
  for (const n of newFs) {
    const o = oldBy.get(n.name);
    if (o !== undefined) {
      flushOld(n.name);
      i++;
    }
    order.push([o, n]);
  }
  flushOld(undefined);
  const out: RawField[] = [];
  for (const [o, n] of order) {
    const f = mergeField(o, n, cut, `${path}.${(n ?? o)!.name}`);
    if (f !== undefined) out.push(f);
  }
  return out;
}

/** One message from its two specs (either may be missing). */
export function mergeSpec(o: RawSpec | undefined, n: RawSpec | undefined): RawSpec {
  if (n === undefined) return o!;
  if (o === undefined) return n;
  const what = n.name;
  const oldValid = parseRange(o.validVersions, NONE);
  const newValid = parseRange(n.validVersions, NONE);
  const cut = cutFor(oldValid, newValid, what);
  const valid = union(intersect(oldValid, cut.old), intersect(newValid, cut.new), `${what}.validVersions`);
  const src = isEmpty(newValid) ? o : n;
  const merged: RawSpec = {
    ...(src.apiKey !== undefined ? { apiKey: src.apiKey } : {}),
    type: src.type,
    name: src.name,
    validVersions: formatRange(valid),
    flexibleVersions: split(o.flexibleVersions, n.flexibleVersions, cut, `${what}.flexibleVersions`) ?? 'none',
    fields: mergeFields(o.fields ?? [], n.fields ?? [], cut, what),
  };
  const listeners = src.listeners ?? o.listeners;
  if (listeners !== undefined) merged.listeners = listeners;
  if (src.latestVersionUnstable === true) merged.latestVersionUnstable = true;
  const oldCommon = new Map((o.commonStructs ?? []).map((c) => [c.name, c]));
  const newCommon = new Map((n.commonStructs ?? []).map((c) => [c.name, c]));
  const names = [...newCommon.keys(), ...[...oldCommon.keys()].filter((k) => !newCommon.has(k))];
  if (names.length > 0) {
    merged.commonStructs = names.map((name): RawStruct => {
      const oc = oldCommon.get(name);
      const nc = newCommon.get(name);
      return {
        name,
        versions: split(oc?.versions, nc?.versions, cut, `${what}#${name}.versions`) ?? 'none',
        fields: mergeFields(oc?.fields ?? [], nc?.fields ?? [], cut, `${what}#${name}`),
      };
    });
  }
  return merged;
}

/** The key that identifies one message across the two sets. */
function specKey(s: RawSpec): string {
  return s.apiKey !== undefined && (s.type === 'request' || s.type === 'response') ? `${s.type}:${s.apiKey}` : `${s.type}:${s.name}`;
}

function loadDir(dir: string): Map<string, RawSpec> {
  const out = new Map<string, RawSpec>();
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
    const s = loadSpec(join(dir, f));
    const k = specKey(s);
    if (out.has(k)) throw new Error(`${dir}: two specs for ${k}`);
    out.set(k, s);
  }
  return out;
}

/** Every spec of the older directory merged with the newer one's (either may lack a message). */
export function loadMergedSpecs(oldDir: string, newDir: string): RawSpec[] {
  const a = loadDir(oldDir);
  const b = loadDir(newDir);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.map((k) => mergeSpec(a.get(k), b.get(k)));
}
