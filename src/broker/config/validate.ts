/**
 * Kafka's ConfigDef semantics for one value: how Java parses it for its type
 * (ConfigDef.parseType) and what its validator accepts, with Kafka 4.3.1's messages
 * ("Invalid value 1000 for configuration segment.bytes: Value must be at least 1048576").
 *
 * A validator is chosen by the key's "Valid Values" text in Kafka's docs (kafka-table.ts), the
 * way ConfigDef prints it: "[1,...]" is Range.atLeast(1), "[a, b]" ValidString or ValidList, and so
 * on. validatorFor() throws on a text it does not know, so a new Kafka version's docs cannot slip
 * through unnoticed (test/unit/kafka-configs.test.ts compiles every key). What the docs do not show
 * (which list keys have a ValidList, and whether it allows an empty list) is in VALID_LISTS.
 */
import type { ConfigType } from './defs.js';

/** An invalid configuration, with Kafka's message. `key` is the key it is about. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

/** Java's ConfigException(name, value, message): "Invalid value V for configuration K: M". */
export function invalidValue(key: string, value: string, message?: string): ConfigError {
  return new ConfigError(key, `Invalid value ${value} for configuration ${key}${message === undefined ? '' : `: ${message}`}`);
}

/** A value parsed for its type, as Java holds it. */
export type Parsed =
  | { kind: 'boolean'; value: boolean }
  | { kind: 'integer'; value: bigint }
  | { kind: 'double'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'list'; value: string[] };

const INTEGER_BITS: Partial<Record<ConfigType, bigint>> = { short: 15n, int: 31n, long: 63n };
const JAVA_TYPE_NAME: Partial<Record<ConfigType, string>> = { short: 'SHORT', int: 'INT', long: 'LONG', double: 'DOUBLE' };
const JAVA_INTEGER = /^[+-]?[0-9]+$/;
// Double.parseDouble's grammar (FloatingDecimal): decimal or hexadecimal, NaN, Infinity, an optional f/d suffix.
const JAVA_DOUBLE = /^[+-]?(?:NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+[fFdD]?)$/;

function parseJavaDouble(s: string): number {
  const body = s.replace(/[fFdD]$/, '');
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?[0-9]+)$/.exec(body);
  if (!hex) return Number(body);
  const [, sign, int, frac, exp] = hex;
  const mantissa = parseInt(`${int}${frac}` || '0', 16) / 16 ** frac!.length;
  return (sign === '-' ? -1 : 1) * mantissa * 2 ** Number(exp);
}

/** Double.toString: plain between 10^-3 and 10^7, else computerized scientific notation ("1.0E7"). */
export function javaDoubleToString(d: number): string {
  if (Number.isNaN(d)) return 'NaN';
  if (d === Infinity) return 'Infinity';
  if (d === -Infinity) return '-Infinity';
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(d);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(d);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exp] = d.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exp)}`;
}

/** How Java prints a parsed value in a message (List.toString for lists). */
export function javaString(p: Parsed): string {
  switch (p.kind) {
    case 'boolean':
      return String(p.value);
    case 'integer':
      return p.value.toString();
    case 'double':
      return javaDoubleToString(p.value);
    case 'string':
      return p.value;
    case 'list':
      return `[${p.value.join(', ')}]`;
  }
}

/** ConfigDef.parseType: the value for `type`, or Kafka's error. Strings are trimmed first, as Java does. */
export function parseConfigValue(key: string, type: ConfigType, raw: string): Parsed {
  const trimmed = raw.trim();
  switch (type) {
    case 'boolean': {
      const lower = trimmed.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw invalidValue(key, raw, 'Expected value to be either true or false');
      return { kind: 'boolean', value: lower === 'true' };
    }
    case 'short':
    case 'int':
    case 'long': {
      const bits = INTEGER_BITS[type]!;
      const fail = (): never => {
        throw invalidValue(key, raw, `Not a number of type ${JAVA_TYPE_NAME[type]}`);
      };
      if (!JAVA_INTEGER.test(trimmed)) fail();
      const n = BigInt(trimmed);
      if (n < -(1n << bits) || n >= 1n << bits) fail();
      return { kind: 'integer', value: n };
    }
    case 'double':
      if (!JAVA_DOUBLE.test(trimmed)) throw invalidValue(key, raw, 'Not a number of type DOUBLE');
      return { kind: 'double', value: parseJavaDouble(trimmed) };
    case 'list': {
      if (trimmed === '') return { kind: 'list', value: [] };
      // Kafka 4 drops duplicate entries (with a warning) before validating.
      return { kind: 'list', value: [...new Set(trimmed.split(/\s*,\s*/))] };
    }
    default:
      return { kind: 'string', value: trimmed };
  }
}

/** The value as DescribeConfigs shows it after Kafka parsed it (ConfigDef.convertToString). */
export function formatParsed(p: Parsed): string {
  return p.kind === 'list' ? p.value.join(',') : javaString(p);
}

export type Validator = (key: string, value: Parsed) => void;

/**
 * List keys that Kafka 4.3.1 validates with a ConfigDef.ValidList (each entry non-empty, and one of
 * the valid strings when the docs list some), and whether the list may be empty. The docs show
 * the valid strings but neither of these.
 */
export const VALID_LISTS: ReadonlyMap<string, { emptyAllowed: boolean }> = new Map(
  (
    [
      ['advertised.listeners', false],
      ['cleanup.policy', true],
      ['config.providers', true],
      ['controller.listener.names', false],
      ['cordoned.log.dirs', true],
      ['early.start.listeners', true],
      ['group.consumer.assignors', false],
      ['group.coordinator.rebalance.protocols', false],
      ['group.share.assignors', false],
      ['kafka.metrics.reporters', true],
      ['listeners', false],
      ['log.cleanup.policy', true],
      ['log.dir', false],
      ['log.dirs', false],
      ['metric.reporters', true],
      ['process.roles', false],
      ['sasl.enabled.mechanisms', true],
      ['sasl.kerberos.principal.to.local.rules', true],
      ['sasl.oauthbearer.expected.audience', true],
      ['ssl.cipher.suites', true],
      ['ssl.enabled.protocols', true],
    ] as const
  ).map(([k, emptyAllowed]) => [k, { emptyAllowed }]),
);

function numberOf(p: Parsed): number | bigint {
  if (p.kind === 'integer' || p.kind === 'double') return p.value;
  throw new Error(`a range on a ${p.kind} value`);
}

function below(n: number | bigint, bound: string): boolean {
  return typeof n === 'bigint' && /^-?\d+$/.test(bound) ? n < BigInt(bound) : Number(n) < Number(bound);
}
function above(n: number | bigint, bound: string): boolean {
  return typeof n === 'bigint' && /^-?\d+$/.test(bound) ? n > BigInt(bound) : Number(n) > Number(bound);
}

function range(min: string | null, max: string | null): Validator {
  return (key, p) => {
    const n = numberOf(p);
    if (min !== null && below(n, min)) throw invalidValue(key, javaString(p), `Value must be at least ${min}`);
    if (max !== null && above(n, max)) throw invalidValue(key, javaString(p), `Value must be no more than ${max}`);
  };
}

function stringOf(p: Parsed): string {
  if (p.kind !== 'string') throw new Error(`a string validator on a ${p.kind} value`);
  return p.value;
}

function validList(name: string, validStrings: readonly string[], emptyAllowed: boolean): Validator {
  return (key, p) => {
    if (p.kind !== 'list') throw new Error(`a list validator on a ${p.kind} value`);
    if (!emptyAllowed && p.value.length === 0) {
      throw new ConfigError(key, `Configuration '${name}' must not be empty. Valid values include: ${validStrings.length === 0 ? 'any non-empty value' : `[${validStrings.join(', ')}]`}`);
    }
    for (const v of p.value) {
      if (v === '') throw new ConfigError(key, `Configuration '${name}' values must not be empty.`);
      if (validStrings.length > 0 && !validStrings.includes(v)) throw invalidValue(key, v, `String must be one of: ${validStrings.join(', ')}`);
    }
  };
}

const SHARE_RESET = '[latest, earliest, by_duration:PnDTnHnMn.nS]';
// java.time.Duration.parse: PnDTnHnMn.nS, each part optional but at least one, signs allowed per part.
const ISO_DURATION = /^[+-]?P(?:[+-]?[0-9]+D)?(?:T(?:[+-]?[0-9]+H)?(?:[+-]?[0-9]+M)?(?:[+-]?[0-9]+(?:[.,][0-9]{0,9})?S)?)?$/i;

function durationIsNegative(s: string): boolean {
  let total = 0;
  const outer = s.startsWith('-') ? -1 : 1;
  for (const m of s.matchAll(/([+-]?[0-9]+(?:[.,][0-9]+)?)([DHMS])/gi)) {
    const unit = { D: 86400, H: 3600, M: 60, S: 1 }[m[2]!.toUpperCase() as 'D' | 'H' | 'M' | 'S'];
    total += Number(m[1]!.replace(',', '.')) * unit;
  }
  return outer * total < 0;
}

function shareAutoOffsetReset(): Validator {
  return (key, p) => {
    const v = stringOf(p);
    if (v === 'earliest' || v === 'latest') return;
    if (v.startsWith('by_duration:')) {
      const d = v.slice('by_duration:'.length);
      const body = d.replace(/^[+-]/, '');
      if (ISO_DURATION.test(d) && /[0-9]/.test(body) && !/T$/i.test(body) && !durationIsNegative(d)) return;
    }
    throw invalidValue(key, v, `Invalid value \`${v}\` for configuration ${key}. The value must be either 'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'.`);
  };
}

function throttledReplicas(): Validator {
  return (key, p) => {
    if (p.kind !== 'list') throw new Error(`a list validator on a ${p.kind} value`);
    const ok = p.value.every((s) => /^([0-9]+:[0-9]+)?$/.test(s.trim())) || p.value.join('') === '*';
    if (!ok) throw invalidValue(key, javaString(p), `${key} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...`);
  };
}

const NONE: Validator = () => undefined;

/**
 * The validator of a key from its docs text. Throws for a text it does not know. `name` matters
 * for list keys (VALID_LISTS) only.
 */
export function validatorFor(name: string, type: ConfigType, validValues: string): Validator {
  const v = validValues;
  let m: RegExpExecArray | null;
  if (v === '') return type === 'list' && VALID_LISTS.has(name) ? validList(name, [], VALID_LISTS.get(name)!.emptyAllowed) : NONE;
  if ((m = /^\[(-?[0-9.E]+),\.\.\.\]$/.exec(v))) return range(m[1]!, null);
  if ((m = /^\[\.\.\.,(-?[0-9.E]+)\]$/.exec(v))) return range(null, m[1]!);
  if ((m = /^\[(-?[0-9.E]+),\.\.\.,(-?[0-9.E]+)\]$/.exec(v))) return range(m[1]!, m[2]!);
  if ((m = /^\[(-?[0-9]+),\.\.\.,(-?[0-9]+)\] or (-?[0-9]+)$/.exec(v))) {
    const [, lo, hi, or] = m as unknown as [string, string, string, string];
    return (key, p) => {
      const n = numberOf(p);
      if (String(n) === or || (!below(n, lo) && !above(n, hi))) return;
      throw invalidValue(key, javaString(p), `Value must be between ${lo} and ${hi} or equal to ${or}`);
    };
  }
  if (v === SHARE_RESET && type === 'string') return shareAutoOffsetReset();
  if (v === '[partitionId]:[brokerId],[partitionId]:[brokerId],...' && type === 'list') return throttledReplicas();
  if (v === 'non-empty string' && type === 'string') {
    return (key, p) => {
      if (stringOf(p) === '') throw invalidValue(key, '', 'String must be non-empty');
    };
  }
  // Null values never get here (a null SET is refused before); Kafka's quorum validators check
  // host:port syntax of read-only keys, which a single node does not use.
  if (v === 'non-null string' || v === 'non-empty list') return NONE;
  if ((m = /^(\(case insensitive\) )?\[(.+)\]$/.exec(v))) {
    const values = m[2]!.split(', ');
    if (type === 'list') return validList(name, values, VALID_LISTS.get(name)?.emptyAllowed ?? true);
    if (type !== 'string') throw new Error(`${name}: valid strings for a ${type}`);
    if (m[1]) {
      const upper = values.map((s) => s.toUpperCase());
      return (key, p) => {
        if (!upper.includes(stringOf(p).toUpperCase())) throw invalidValue(key, stringOf(p), `String must be one of (case insensitive): ${values.join(', ')}`);
      };
    }
    return (key, p) => {
      if (!values.includes(stringOf(p))) throw invalidValue(key, stringOf(p), `String must be one of: ${values.join(', ')}`);
    };
  }
  throw new Error(`${name}: unknown "Valid Values" text ${JSON.stringify(v)}`);
}

/** A key that can check values: its name (the one messages use), type and docs "Valid Values". */
export interface CheckedKey {
  readonly name: string;
  readonly type: ConfigType;
  readonly validValues: string;
}

const validators = new Map<string, Validator>();

/** Parses and validates `raw` for `key` as Kafka does; returns it as DescribeConfigs shows it. */
export function checkValue(key: CheckedKey, raw: string): string {
  const parsed = parseConfigValue(key.name, key.type, raw);
  const cacheKey = `${key.name}\u0000${key.type}\u0000${key.validValues}`;
  let validate = validators.get(cacheKey);
  if (!validate) {
    validate = validatorFor(key.name, key.type, key.validValues);
    validators.set(cacheKey, validate);
  }
  validate(key.name, parsed);
  return formatParsed(parsed);
}

/**
 * A set of names as Kafka's messages print a java.util.HashSet of them ("[a, b]"): in bucket
 * order (String.hashCode spread over a table of 16 or more), which is not the request's order.
 */
export function javaHashSetString(names: readonly string[]): string {
  const unique = [...new Set(names)];
  let capacity = 16;
  while (unique.length > capacity * 0.75) capacity *= 2;
  const bucket = (s: string): number => {
    let h = 0;
    for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
    return (h ^ (h >>> 16)) & (capacity - 1);
  };
  const ordered = unique.map((s, i) => ({ s, i, b: bucket(s) })).sort((a, b) => a.b - b.b || a.i - b.i);
  return `[${ordered.map((x) => x.s).join(', ')}]`;
}
