// Emits the registry (messages/index.ts), the shared support module, the test schema and errors.ts.
import type { ApiDef, FieldDef, MessageDef, Range, SpecSet, TypeRef } from './spec.js';
import { HEADER, apiFileName } from './emit.js';

export function emitSupport(): string {
  return `${HEADER}import { KafkaProtocolError } from '../kafka-error.js';
import { ErrorCode } from '../errors.js';

export { ZERO_UUID } from '../primitives/index.js';

/** A field that is null where the version being encoded does not allow null. */
export function nonNullable(field: string): never {
  throw new TypeError(\`\${field} is null, but it is not nullable in this version\`);
}

/** A field set to a non-default value that the version being encoded cannot carry. */
export function unsupportedField(field: string, version: number): never {
  throw new KafkaProtocolError(ErrorCode.UNSUPPORTED_VERSION, \`\${field} cannot be sent in version \${version}\`);
}
`;
}

function apiImports(api: ApiDef): string[] {
  const q = api.request.specName;
  const s = api.response.specName;
  return [`decode${q}`, `encode${q}`, `decode${s}`, `encode${s}`, `type ${q}`, `type ${s}`];
}

const firstFlexible = (m: MessageDef): string => (m.flexible.lo > m.flexible.hi ? 'Infinity' : String(m.flexible.lo));

export function emitIndex(specs: SpecSet): string {
  const L: string[] = [HEADER.trimEnd()];
  L.push("import type { Reader, Writer } from '../primitives/index.js';");
  for (const api of specs.apis) {
    const mod = `./${apiFileName(api).replace(/\.ts$/, '.js')}`;
    L.push(`import { ${apiImports(api).join(', ')} } from '${mod}';`);
  }
  L.push('');
  L.push("export * from './headers.js';");
  for (const api of specs.apis) L.push(`export * from './${apiFileName(api).replace(/\.ts$/, '.js')}';`);
  L.push('');
  L.push('export const ApiKey = {');
  for (const api of specs.apis) L.push(`  ${api.name}: ${api.apiKey},`);
  L.push('} as const;');
  L.push('export type ApiKey = (typeof ApiKey)[keyof typeof ApiKey];');
  L.push('');
  L.push('/** Request and response types by API key. */');
  L.push('export interface ApiMessages {');
  for (const api of specs.apis)
    L.push(`  ${api.apiKey}: { request: ${api.request.specName}; response: ${api.response.specName} };`);
  L.push('}');
  L.push('');
  L.push('/** An API key we have codecs for, and the request and response types of one API. */');
  L.push('export type ApiKeyNumber = keyof ApiMessages;');
  L.push("export type RequestOf<K extends ApiKeyNumber> = ApiMessages[K]['request'];");
  L.push("export type ResponseOf<K extends ApiKeyNumber> = ApiMessages[K]['response'];");
  L.push('');
  L.push(`/**
 * One API's codecs. Decoders and encoders take a version in [minVersion, maxVersion]; the caller
 * checks the range. flexibleMinVersion is Infinity for an API without flexible versions.
 */
export interface ApiCodec<Req = unknown, Res = unknown> {
  readonly apiKey: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly flexibleMinVersion: number;
  /** The spec marks maxVersion as still unstable (not advertised by Kafka by default). */
  readonly latestVersionUnstable: boolean;
  decodeRequest(r: Reader, version: number): Req;
  encodeRequest(w: Writer, m: Req, version: number): void;
  decodeResponse(r: Reader, version: number): Res;
  encodeResponse(w: Writer, m: Res, version: number): void;
}

export type ApiCodecFor<K extends ApiKeyNumber> = ApiCodec<RequestOf<K>, ResponseOf<K>>;
`);
  L.push('export const apiCodecs: { readonly [K in ApiKeyNumber]: ApiCodecFor<K> } = {');
  for (const api of specs.apis) {
    const q = api.request.specName;
    const s = api.response.specName;
    L.push(`  ${api.apiKey}: {`);
    L.push(`    apiKey: ${api.apiKey},`);
    L.push(`    name: '${api.name}',`);
    L.push(`    minVersion: ${api.request.valid.lo},`);
    L.push(`    maxVersion: ${api.request.valid.hi},`);
    L.push(`    flexibleMinVersion: ${firstFlexible(api.request)},`);
    L.push(`    latestVersionUnstable: ${api.request.latestVersionUnstable},`);
    L.push(`    decodeRequest: decode${q},`);
    L.push(`    encodeRequest: encode${q},`);
    L.push(`    decodeResponse: decode${s},`);
    L.push(`    encodeResponse: encode${s},`);
    L.push('  },');
  }
  L.push('};');
  L.push('');
  L.push(`/** Every generated API by key. */
export const apis: ReadonlyMap<number, ApiCodec> = new Map<number, ApiCodec>(
  Object.values(apiCodecs).map((c: ApiCodec) => [c.apiKey, c]),
);

/** The request header version for an API version: v2 when flexible, v1 otherwise (v0 for ControlledShutdown v0). */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === 7 && apiVersion === 0) return 0;
  const c = apis.get(apiKey);
  return c !== undefined && apiVersion >= c.flexibleMinVersion ? 2 : 1;
}

/** The response header version for an API version: v1 when flexible, v0 otherwise; ApiVersions always v0. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0;
  const c = apis.get(apiKey);
  return c !== undefined && apiVersion >= c.flexibleMinVersion ? 1 : 0;
}`);
  return `${L.join('\n')}\n`;
}

// ---- schema.json: a compact description of every message, used by the tests to build values ----

const rangeJson = (r: Range): [number, number] | null => (r.lo > r.hi ? null : [r.lo, r.hi === Infinity ? -1 : r.hi]);

function typeJson(t: TypeRef): string {
  if (t.kind === 'array') return `[]${typeJson(t.elem)}`;
  if (t.kind === 'struct') return `struct:${t.struct.name}`;
  return t.name;
}

function fieldJson(f: FieldDef): Record<string, unknown> {
  const o: Record<string, unknown> = { name: f.name, type: typeJson(f.type), versions: rangeJson(f.versions) };
  if (f.nullable.lo <= f.nullable.hi) o['nullable'] = rangeJson(f.nullable);
  if (f.tag !== undefined) {
    o['tag'] = f.tag;
    o['tagged'] = rangeJson(f.tagged);
  }
  if (f.flexible !== undefined) o['flexible'] = rangeJson(f.flexible);
  if (f.defaultRaw !== undefined) o['default'] = f.defaultRaw;
  if (f.ignorable) o['ignorable'] = true;
  return o;
}

function messageJson(m: MessageDef): Record<string, unknown> {
  const structs: Record<string, unknown> = {};
  for (const s of [m.root, ...m.structs]) structs[s.name] = s.fields.map(fieldJson);
  return { name: m.specName, valid: rangeJson(m.valid), flexible: rangeJson(m.flexible), structs };
}

export function emitSchema(specs: SpecSet): string {
  const doc = {
    generated: "GENERATED by tools/codegen from Apache Kafka's message specs; do not edit",
    requestHeader: messageJson(specs.requestHeader),
    responseHeader: messageJson(specs.responseHeader),
    apis: specs.apis.map((a) => ({
      apiKey: a.apiKey,
      name: a.name,
      file: apiFileName(a),
      request: messageJson(a.request),
      response: messageJson(a.response),
    })),
  };
  return `${JSON.stringify(doc)}\n`;
}

// ---- errors.ts from error-codes.tsv ----

export function emitErrors(tsv: string): string {
  const rows = tsv
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
  const head = rows.shift()?.split('\t');
  if (!head || head.join(',') !== 'code,name,retriable,message') throw new Error('unexpected error-codes.tsv header');
  const entries = rows.map((r) => {
    const [code, name, retriable, message] = r.split('\t');
    if (code === undefined || name === undefined || !/^-?\d+$/.test(code) || !/^[A-Z0-9_]+$/.test(name))
      throw new Error(`bad error row ${r}`);
    if (retriable !== 'yes' && retriable !== 'no') throw new Error(`bad retriable in ${r}`);
    return { code: Number(code), name, retriable: retriable === 'yes', message: message ?? '' };
  });
  entries.sort((a, b) => a.code - b.code);
  const L: string[] = [HEADER.trimEnd(), ''];
  L.push('export const ErrorCode = {');
  for (const e of entries) L.push(`  ${e.name}: ${e.code},`);
  L.push('} as const;');
  L.push('export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];');
  L.push('export type ErrorName = keyof typeof ErrorCode;');
  L.push('');
  L.push('export interface ErrorInfo {');
  L.push('  readonly code: number;');
  L.push('  readonly name: ErrorName;');
  L.push('  readonly retriable: boolean;');
  L.push('  readonly message: string;');
  L.push('}');
  L.push('');
  L.push('const TABLE: readonly ErrorInfo[] = [');
  for (const e of entries)
    L.push(`  { code: ${e.code}, name: '${e.name}', retriable: ${e.retriable}, message: ${JSON.stringify(e.message)} },`);
  L.push('];');
  L.push('');
  L.push('const BY_CODE = new Map<number, ErrorInfo>(TABLE.map((e) => [e.code, e]));');
  L.push('');
  L.push('/** Whether Kafka defines this error code. */');
  L.push('export function isKnownErrorCode(code: number): boolean {');
  L.push('  return BY_CODE.has(code);');
  L.push('}');
  L.push('');
  L.push('/** The error for a code; an unknown code maps to UNKNOWN_SERVER_ERROR, as in the Java client. */');
  L.push('export function errorInfo(code: number): ErrorInfo {');
  L.push('  return BY_CODE.get(code) ?? BY_CODE.get(ErrorCode.UNKNOWN_SERVER_ERROR)!;');
  L.push('}');
  return `${L.join('\n')}\n`;
}
