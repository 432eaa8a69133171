/**
 * `tributary delete-records` / `bin/kafka-delete-records.sh`: Kafka's DeleteRecordsCommand. Reads
 * Kafka's JSON (--offset-json-file)
 *
 *   {"partitions": [{"topic": "foo", "partition": 1, "offset": 1}], "version": 1}
 *
 * (offset -1: the high watermark), sends DeleteRecords to each partition's leader and prints
 *
 *   Executing records delete operation
 *   Records delete operation completed:
 *   partition: foo-1	low_watermark: 1
 *   partition: foo-2	error: org.apache.kafka.common.errors.OffsetOutOfRangeException: <message>
 *
 * A partition's error is a line of output (exit 0, as Kafka's tool); a bad file is an error on
 * stderr (exit 1). Partitions are printed in topic and partition order (Kafka's in no set order).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { connectAdmin, parseFlags, processIO, toolCommand, usageFailure, UsageError, type CommandIO } from './common.js';
import { javaErrorString } from './java-errors.js';

interface DeleteRecordsOptions {
  bootstrapServer?: string;
  offsetJsonFile?: string;
  commandConfig?: string;
}

/** A problem with the JSON file: one line on stderr, exit 1 (Kafka's AdminOperationException and friends). */
export class OffsetJsonError extends Error {}

const FORMAT = '{"partitions":\n  [{"topic": "foo", "partition": 1, "offset": 1}],\n "version":1\n}';

function program(io: CommandIO): Command {
  return toolCommand('kafka-delete-records', 'This tool helps to delete records of the given partitions down to the specified offset.', io)
    .option('--bootstrap-server <String: server(s) to use for bootstrapping>', 'REQUIRED: The server to connect to.')
    .option('--offset-json-file <String: Offset json file path>', `REQUIRED: The JSON file with offset per partition. The format to use is:\n${FORMAT}`)
    .option('--command-config <String: command config property file path>', 'A property file containing configs to be passed to Admin Client.');
}

function field(o: Record<string, unknown>, name: string): unknown {
  if (!(name in o)) throw new OffsetJsonError(`No such field exists: \`${name}\``);
  return o[name];
}

function int(v: unknown, what: string, long: boolean): bigint {
  const ok = typeof v === 'number' && Number.isInteger(v) && (long || Math.abs(v) <= 0x7fffffff);
  if (!ok) throw new OffsetJsonError(`Expected ${long ? 'long' : 'int'} value for ${what}, got ${JSON.stringify(v)}`);
  return BigInt(v);
}

/** Kafka's parseOffsetJsonStringWithoutDedup, then the duplicate check: the partitions and their offsets, in file order. */
export function parseOffsetJson(text: string): Array<{ topic: string; partition: number; offset: bigint }> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new OffsetJsonError('The input string is not a valid JSON');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new OffsetJsonError('The input string is not a JSON object');
  const obj = doc as Record<string, unknown>;
  const version = 'version' in obj ? int(obj.version, 'version', false) : 1n;
  if (version !== 1n) throw new OffsetJsonError(`Not supported version field value ${version}`);
  if (!('partitions' in obj)) throw new OffsetJsonError('Missing partitions field');
  if (!Array.isArray(obj.partitions)) throw new OffsetJsonError('Expected JSON array for partitions');
  const out = obj.partitions.map((e: unknown) => {
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new OffsetJsonError(`Expected JSON object, got ${JSON.stringify(e)}`);
    const p = e as Record<string, unknown>;
    const topic = field(p, 'topic');
    if (typeof topic !== 'string') throw new OffsetJsonError(`Expected string value for topic, got ${JSON.stringify(topic)}`);
    return { topic, partition: Number(int(field(p, 'partition'), 'partition', false)), offset: int(field(p, 'offset'), 'offset', true) };
  });
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const p of out) {
    const k = `${p.topic}-${p.partition}`;
    if (seen.has(k) && !dups.includes(k)) dups.push(k);
    seen.add(k);
  }
  if (dups.length > 0) throw new OffsetJsonError(`Offset json file contains duplicate topic partitions: ${dups.join(',')}`);
  return out;
}

/** Runs kafka-delete-records with `argv` (the flags only); returns the exit code. */
export async function deleteRecordsCommand(argv: readonly string[], io: CommandIO = processIO): Promise<number> {
  const cmd = program(io);
  if (argv.length === 0) return usageFailure(cmd, io, new UsageError('This tool helps to delete records of the given partitions down to the specified offset.'));
  const o = parseFlags<DeleteRecordsOptions>(cmd, argv);
  if (typeof o === 'number') return o;
  try {
    if (o.bootstrapServer === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');
    if (o.offsetJsonFile === undefined) throw new UsageError('Missing required argument "[offset-json-file]"');
    let text: string;
    try {
      text = await readFile(o.offsetJsonFile, 'utf8');
    } catch (err) {
      // Java's NoSuchFileException says the path only.
      throw new OffsetJsonError((err as NodeJS.ErrnoException).code === 'ENOENT' ? o.offsetJsonFile : (err as Error).message);
    }
    const specs = parseOffsetJson(text);
    const admin = await connectAdmin(o.bootstrapServer, o.commandConfig, 'kafka-delete-records');
    try {
      io.out('Executing records delete operation\n');
      const results = await admin.deleteRecords(specs);
      io.out('Records delete operation completed:\n');
      results.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
      for (const r of results) {
        io.out(r.error === null ? `partition: ${r.topic}-${r.partition}\tlow_watermark: ${r.value}\n` : `partition: ${r.topic}-${r.partition}\terror: ${javaErrorString(r.error)}\n`);
      }
      return 0;
    } finally {
      await admin.close();
    }
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(cmd, io, err);
    io.err(`${(err as Error).message}\n`);
    return 1;
  }
}
