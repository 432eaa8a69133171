/**
 * What the Kafka tools share: where their output goes (injectable, for tests), their commander
 * setup, properties files and --bootstrap-server, and the admin client they connect with from
 * --bootstrap-server and --command-config.
 */
import { readFile } from 'node:fs/promises';
import { Command, CommanderError, type OptionValues } from 'commander';
import { parseProperties } from '../util/properties.js';
import { Admin } from '../client/admin.js';
import { securityOptions } from './security-props.js';

export interface CommandIO {
  out(s: string): void;
  err(s: string): void;
  /**
   * Resolves once everything given to out() has been handed to the OS. Stdout on a pipe is
   * asynchronous in Node: a line written to it can still be queued when a later stderr line goes
   * out, and on a shared terminal or pipe the two then run together.
   */
  flushOut?(): Promise<void>;
}

export const processIO: CommandIO = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  // Writes complete in order: the callback of an empty write runs after every earlier one.
  flushOut: () => new Promise<void>((resolve) => void process.stdout.write('', () => resolve())),
};

/** A tool's commander program: errors and output go through `io`, and it never exits the process. */
export function toolCommand(name: string, description: string, io: CommandIO): Command {
  return new Command(name).description(description).exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
}

/** commander's accumulator for a repeatable option. */
export const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** The first of a comma-separated bootstrap.servers list: our clients bootstrap from one broker. */
export function firstBootstrap(servers: string): string {
  return servers.split(',')[0]!.trim();
}

/**
 * A Java properties file (none: no properties), then `key=value` flags over it (`what` names them
 * in a UsageError), as the tools take --command-config / --producer.config and --*-property.
 */
export async function readProperties(file: string | undefined, inline: readonly string[] = [], what = 'property'): Promise<Map<string, string>> {
  const props = file ? parseProperties(await readFile(file, 'utf8')) : new Map<string, string>();
  for (const [k, v] of keyValues(inline, what)) props.set(k, v);
  return props;
}

/**
 * The client settings of the console tools: Kafka 4.x's --command-config / --command-property
 * and their deprecated names (--producer.config / --producer-property, or the consumer's), which
 * may not be mixed; a deprecated one given prints Kafka's warning (`warn` words it per tool).
 */
export async function clientProperties(
  io: CommandIO,
  o: { commandConfig?: string; commandProperty: readonly string[] },
  legacy: { configFlag: string; config: string | undefined; propertyFlag: string; property: readonly string[] },
  warn: (deprecated: string, replacement: string) => string,
  conflict: (a: string, b: string) => string,
): Promise<Map<string, string>> {
  if (o.commandConfig !== undefined && legacy.config !== undefined) throw new UsageError(conflict('--command-config', legacy.configFlag));
  if (o.commandProperty.length > 0 && legacy.property.length > 0) throw new UsageError(conflict('--command-property', legacy.propertyFlag));
  if (legacy.property.length > 0) io.err(warn(legacy.propertyFlag, '--command-property') + '\n');
  if (legacy.config !== undefined) io.err(warn(legacy.configFlag, '--command-config') + '\n');
  return readProperties(o.commandConfig ?? legacy.config, [...legacy.property, ...o.commandProperty], 'command property');
}

/**
 * An Admin on the first of --bootstrap-server's brokers that accepts a connection (each tried in
 * turn, as the Java clients do). --command-config is a properties file of client settings;
 * client.id, request.timeout.ms and the security settings (security-props.ts) are honoured, others ignored.
 */
export async function connectAdmin(bootstrapServer: string, commandConfig: string | undefined, defaultClientId: string): Promise<Admin> {
  const props = await readProperties(commandConfig);
  const timeout = props.get('request.timeout.ms');
  const security = await securityOptions(props);
  const servers = bootstrapServer.split(',').map((s) => s.trim()).filter((s) => s !== '');
  let last: unknown = new UsageError('--bootstrap-server names no broker');
  for (const bootstrap of servers) {
    try {
      return await Admin.connect({ bootstrap, clientId: props.get('client.id') ?? defaultClientId, ...(timeout ? { requestTimeoutMs: Number(timeout) } : {}), ...security });
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

/** A problem with the command line: the tool prints it with its usage and exits 1, as Kafka's do. */
export class UsageError extends Error {}

/** Parses the flags with `cmd`; an exit code instead when commander has answered (--help, a bad flag). */
export function parseFlags<T extends OptionValues>(cmd: Command, argv: readonly string[]): T | number {
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1;
    throw err;
  }
  return cmd.opts<T>();
}

/** Prints a UsageError and the usage on stderr; the exit code (1). */
export function usageFailure(cmd: Command, io: CommandIO, err: UsageError): number {
  io.err(`${err.message}\n`);
  io.err(cmd.helpInformation());
  return 1;
}

/** `key=value` flags (repeatable --property-style options) as a map; UsageError otherwise. */
export function keyValues(list: readonly string[], what: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of list) {
    const i = p.indexOf('=');
    if (i <= 0) throw new UsageError(`Invalid ${what} '${p}': expected key=value`);
    out.set(p.slice(0, i), p.slice(i + 1));
  }
  return out;
}

/**
 * Bounds the records a tool has sent and not yet seen acknowledged (Kafka's buffer.memory): room()
 * waits while `max` are outstanding. O(1) per record, however many are in flight.
 */
export class Outstanding {
  private n = 0;
  private wake: (() => void) | null = null;
  constructor(private readonly max: number) {}

  add(p: Promise<unknown>): void {
    this.n++;
    void p.finally(() => {
      this.n--;
      const w = this.wake;
      this.wake = null;
      w?.();
    });
  }

  /** Resolves once fewer than `max` are outstanding. */
  async room(): Promise<void> {
    while (this.n >= this.max) await new Promise<void>((r) => (this.wake = r));
  }

  /** Resolves once none is outstanding. */
  async all(): Promise<void> {
    while (this.n > 0) await new Promise<void>((r) => (this.wake = r));
  }
}
