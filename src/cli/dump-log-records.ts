/**
 * The `.log` part of kafka-dump-log: one line per batch (Kafka's printBatchLevel), and with
 * --deep-iteration one `| offset: ...` line per record, followed with --print-data-log by the key
 * and payload as the chosen parser renders them. Offsets that do not follow each other are
 * collected for the report Kafka prints on stderr at the end.
 */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import {
  batchCrcValid,
  compressionName,
  decodeRecordBatchSync,
  isControl,
  isTransactional,
  recordSetSpans,
  readBatchHeader,
  ATTR_DELETE_HORIZON,
  MAGIC_V2,
  type BatchHeader,
  type BatchRecord,
  type Compression,
} from '../protocol/records/index.js';
import { incrementSequence } from '../storage/producer-state.js';

/** What a record's key and value print as (None/absent: not printed). */
export interface ParsedRecord {
  key?: string;
  payload?: string;
}
export type RecordParser = (record: BatchRecord) => ParsedRecord;

export interface LogDumpOptions {
  printData: boolean;
  deep: boolean;
  parser: RecordParser;
  maxBytes: number;
  /** --skip-record-metadata: record lines carry only the key and payload. */
  skipMetadata: boolean;
}

/** (previous offset, offset) pairs per file, in the order Kafka reports them. */
export type NonConsecutive = Map<string, Array<[number, number]>>;

function lastSequence(h: BatchHeader): number {
  return h.baseSequence === -1 ? -1 : incrementSequence(h.baseSequence, h.lastOffsetDelta);
}

function batchLine(h: BatchHeader, position: number, valid: boolean): string {
  const tsType = (h.attributes & 0x08) !== 0 ? 'LogAppendTime' : 'CreateTime';
  const horizon = (h.attributes & ATTR_DELETE_HORIZON) !== 0 ? `OptionalLong[${h.baseTimestamp}]` : 'OptionalLong.empty';
  return (
    `baseOffset: ${h.baseOffset} lastOffset: ${h.baseOffset + h.lastOffsetDelta} count: ${h.recordCount} ` +
    `baseSequence: ${h.baseSequence} lastSequence: ${lastSequence(h)} producerId: ${h.producerId} producerEpoch: ${h.producerEpoch} ` +
    `partitionLeaderEpoch: ${h.partitionLeaderEpoch} isTransactional: ${isTransactional(h.attributes)} isControl: ${isControl(h.attributes)} ` +
    `deleteHorizonMs: ${horizon} position: ${position} ${tsType}: ${h.maxTimestamp} size: ${h.size} magic: ${h.magic} ` +
    `compresscodec: ${compressionName((h.attributes & 0x07) as Compression)} crc: ${h.crc >>> 0} isvalid: ${valid}`
  );
}

/** The control record's description: a transaction marker, or its type id. */
function controlText(r: BatchRecord): string {
  const type = r.key && r.key.length >= 4 ? r.key.readInt16BE(2) : -1;
  if ((type === 0 || type === 1) && r.value && r.value.length >= 6) {
    return ` endTxnMarker: ${type === 0 ? 'ABORT' : 'COMMIT'} coordinatorEpoch: ${r.value.readInt32BE(2)}`;
  }
  return ` controlType: UNKNOWN(${type})`;
}

function recordLine(h: BatchHeader, r: BatchRecord, o: LogDumpOptions): string {
  if (o.skipMetadata) {
    if (!o.printData || isControl(h.attributes)) return '';
    const p = o.parser(r);
    const parts = [...(p.key !== undefined ? [`key: ${p.key}`] : []), ...(p.payload !== undefined ? [`payload: ${p.payload}`] : [])];
    return `| ${parts.join(' ')}`;
  }
  const tsType = (h.attributes & 0x08) !== 0 ? 'LogAppendTime' : 'CreateTime';
  const sequence = h.baseSequence === -1 ? -1 : incrementSequence(h.baseSequence, r.offset - h.baseOffset);
  let line =
    `| offset: ${r.offset} ${tsType}: ${r.timestamp} keySize: ${r.key ? r.key.length : -1} valueSize: ${r.value ? r.value.length : -1}` +
    ` sequence: ${sequence} headerKeys: [${r.headers.map((x) => x.key).join(',')}]`;
  if (isControl(h.attributes)) line += controlText(r);
  else if (o.printData) {
    const p = o.parser(r);
    if (p.key !== undefined) line += ` key: ${p.key}`;
    if (p.payload !== undefined) line += ` payload: ${p.payload}`;
  }
  return line;
}

/** Dumps one segment file; lines go to `out`. */
export async function dumpLogFile(file: string, o: LogDumpOptions, out: (line: string) => void, gaps: NonConsecutive): Promise<void> {
  const name = basename(file);
  out(`Log starting offset: ${BigInt(name.split('.')[0]!)}`);
  const whole = await readFile(file);
  const data = whole.subarray(0, Math.min(whole.length, o.maxBytes));
  let validBytes = 0;
  let lastOffset = -1;
  for (const span of recordSetSpans(data)) {
    if (span.magic !== MAGIC_V2) throw new Error(`${file}: message format v${span.magic} (before 0.11) is not supported`);
    const h = readBatchHeader(data, span.position);
    out(batchLine(h, span.position, batchCrcValid(data, span.position, h.size)));
    if (o.deep) {
      for (const r of decodeRecordBatchSync(data, span.position, { verifyCrc: false }).records) {
        if (lastOffset !== -1 && r.offset !== lastOffset + 1) {
          const abs = resolve(file);
          const list = gaps.get(abs) ?? [];
          list.unshift([lastOffset, r.offset]);
          gaps.set(abs, list);
        }
        lastOffset = r.offset;
        out(recordLine(h, r, o));
      }
    }
    validBytes += span.size;
  }
  const trailing = data.length - validBytes;
  if (trailing > 0 && o.maxBytes === 0x7fffffff) out(`Found ${trailing} invalid bytes at the end of ${name}`);
}
