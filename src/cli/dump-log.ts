/**
 * `tributary dump-log` / `bin/kafka-dump-log.sh`: Kafka's DumpLogSegments. Prints the contents of
 * segment files, read straight from disk (the broker need not run):
 *
 *   .log        batches (and with --deep-iteration / --print-data-log their records)
 *   .index      offset: <offset> position: <bytes>
 *   .timeindex  timestamp: <ms> offset: <offset>
 *   .snapshot   the producer state snapshot, one line per producer
 *   .txnindex   the aborted transactions
 *
 * Each file starts with `Dumping <file>`; problems found across the files (index entries that do
 * not match the log, offsets that skip) are reported on stderr at the end, as Kafka does.
 */
import type { Command } from 'commander';
import { parseFlags, processIO, toolCommand, usageFailure, UsageError, type CommandIO } from './common.js';
import { dumpLogFile, type NonConsecutive, type RecordParser } from './dump-log-records.js';
import { CorruptIndexError, dumpOffsetIndex, dumpTimeIndex, indexReportLines, newIndexReports } from './dump-log-indexes.js';
import { dumpProducerSnapshot, dumpTxnIndex } from './dump-log-state.js';
import { parseOffsetsRecord } from './dump-log-offsets.js';
import { parseTransactionRecord } from './dump-log-txn.js';

interface DumpOptions {
  files?: string;
  printDataLog?: boolean;
  deepIteration?: boolean;
  verifyIndexOnly?: boolean;
  indexSanityCheck?: boolean;
  maxMessageSize: string;
  maxBytes: string;
  valueDecoderClass?: string | boolean;
  keyDecoderClass?: string | boolean;
  offsetsDecoder?: boolean;
  transactionLogDecoder?: boolean;
  skipRecordMetadata?: boolean;
}

/** The decoders the tool accepts for --key/--value-decoder-class: Kafka's StringDecoder. */
const STRING_DECODERS = new Set(['org.apache.kafka.tools.api.StringDecoder', 'kafka.serializer.StringDecoder']);

function program(io: CommandIO): Command {
  return toolCommand(
    'kafka-dump-log',
    'Print the contents of log segment files (.log, .index, .timeindex, .snapshot, .txnindex), to inspect or debug a segment that looks corrupt.',
    io,
  )
    .option('--files <String: file1, file2, ...>', 'REQUIRED: the data and index files to dump, separated by commas.')
    .option('--print-data-log', 'Print the keys and values of the records; implied by any decoder option.')
    .option('--deep-iteration', 'Print every record of each batch, not only the batches; implied by --print-data-log.')
    .option('--verify-index-only', 'Check the index entries against the log without printing them.')
    .option('--index-sanity-check', "Only run the sanity check the broker runs at startup to decide whether to rebuild an index.")
    .option('--max-message-size <Integer: size>', 'The largest batch, in bytes, read at an index entry.', String(5 * 1024 * 1024))
    .option('--max-bytes <Integer: size>', 'Read at most this many bytes of each .log file.', String(0x7fffffff))
    .option('--value-decoder-class [String]', 'How to render values: only org.apache.kafka.tools.api.StringDecoder (UTF-8), the default.')
    .option('--key-decoder-class [String]', 'How to render keys: only org.apache.kafka.tools.api.StringDecoder (UTF-8), the default.')
    .option('--offsets-decoder', 'Decode the records as __consumer_offsets keys and values (JSON).')
    .option('--transaction-log-decoder', 'Decode the records as __transaction_state keys and values (JSON).')
    .option('--skip-record-metadata', 'Print only the key and payload of each record.');
}

function intFlag(v: string, name: string): number {
  if (!/^[+-]?\d+$/.test(v) || Math.abs(Number(v)) > 0x7fffffff) throw new UsageError(`Cannot parse argument '${v}' of option ${name}`);
  return Number(v);
}

function decoderOk(v: string | boolean | undefined): boolean {
  return v === undefined || v === true || STRING_DECODERS.has(v as string);
}

const utf8: RecordParser = (r) => ({
  ...(r.key !== null ? { key: r.key.toString('utf8') } : {}),
  ...(r.value !== null ? { payload: r.value.toString('utf8') } : {}),
});

export async function dumpLogCommand(argv: readonly string[], io: CommandIO = processIO): Promise<number> {
  const cmd = program(io);
  const parsed = parseFlags<DumpOptions>(cmd, argv);
  if (typeof parsed === 'number') return parsed;
  const o = parsed;
  let maxBytes: number;
  let maxMessageSize: number;
  try {
    if (o.files === undefined) throw new UsageError('Missing required argument "[files]"');
    maxBytes = intFlag(o.maxBytes, 'max-bytes');
    maxMessageSize = intFlag(o.maxMessageSize, 'max-message-size');
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(cmd, io, e);
    throw e;
  }
  for (const [flag, v] of [['value-decoder-class', o.valueDecoderClass], ['key-decoder-class', o.keyDecoderClass]] as const) {
    if (!decoderOk(v)) {
      io.err(`Unsupported --${flag} ${String(v)}: only org.apache.kafka.tools.api.StringDecoder is available\n`);
      return 1;
    }
  }
  const parser: RecordParser = o.offsetsDecoder ? parseOffsetsRecord : o.transactionLogDecoder ? parseTransactionRecord : utf8;
  const printData = !!(o.printDataLog || o.offsetsDecoder || o.transactionLogDecoder || o.valueDecoderClass !== undefined || o.keyDecoderClass !== undefined);
  const logOpts = { printData, deep: printData || !!o.deepIteration, parser, maxBytes, skipMetadata: !!o.skipRecordMetadata };
  const indexOpts = { sanityOnly: !!o.indexSanityCheck, verifyOnly: !!o.verifyIndexOnly, maxMessageSize };
  const out = (l: string): void => io.out(`${l}\n`);
  const err = (l: string): void => io.err(`${l}\n`);
  const gaps: NonConsecutive = new Map();
  const reports = newIndexReports();
  try {
    for (const file of o.files.split(',')) {
      out(`Dumping ${file}`);
      const suffix = file.slice(file.lastIndexOf('.'));
      if (suffix === '.log') await dumpLogFile(file, logOpts, out, gaps);
      else if (suffix === '.index') await dumpOffsetIndex(file, indexOpts, out, reports);
      else if (suffix === '.timeindex') await dumpTimeIndex(file, indexOpts, out, reports);
      else if (suffix === '.snapshot') await dumpProducerSnapshot(file, out, err);
      else if (suffix === '.txnindex') await dumpTxnIndex(file, out);
      else err(`Ignoring unknown file ${file}`);
    }
  } catch (e) {
    await io.flushOut?.();
    const what = e instanceof CorruptIndexError ? 'CorruptIndexException' : (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'NoSuchFileException' : 'Error';
    err(`${what}: ${(e as Error).message}`);
    return 1;
  }
  await io.flushOut?.();
  for (const l of indexReportLines(reports)) err(l);
  for (const [file, pairs] of gaps) {
    err(`Non-consecutive offsets in ${file}`);
    for (const [a, b] of pairs) err(`  ${a} is followed by ${b}`);
  }
  return 0;
}
