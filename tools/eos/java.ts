/**
 * The Java programs of the test (test/interop/java's EosTool, on the Java kafka-clients 4.3.1):
 * spawned with their stderr (the client's own log) in a log file and their stdout, one JSON object
 * a line, handed to a callback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export type JavaEvent = { ev: string } & Record<string, unknown>;

export function eosJar(root: string): string {
  return join(root, 'test/interop/java/target/interop-client.jar');
}

export function checkJar(root: string): void {
  if (!existsSync(eosJar(root))) throw new Error(`${eosJar(root)} is missing: run scripts/install-interop.sh java`);
}

export interface JavaProcess {
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process is gone and its output read. */
  exited: Promise<number | string>;
}

export function spawnEosTool(root: string, args: readonly string[], logFile: string, onEvent: (e: JavaEvent) => void): JavaProcess {
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn('java', ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', eosJar(root), 'dev.tributary.interop.EosTool', ...args], {
      stdio: ['ignore', 'pipe', fd],
    });
  } finally {
    closeSync(fd);
  }
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', (line) => {
    if (!line.startsWith('{')) return;
    try {
      onEvent(JSON.parse(line) as JavaEvent);
    } catch {
      // a line cut short by a kill -9
    }
  });
  const exited = new Promise<number | string>((resolve) => child.once('close', (code, sig) => resolve(code ?? sig ?? 'unknown')));
  return { child, exited };
}

/** Runs an EosTool subcommand to completion (SIGKILLed after timeoutMs); its events and exit code. */
export async function runEosTool(root: string, args: readonly string[], logFile: string, timeoutMs: number): Promise<{ events: JavaEvent[]; code: number | string }> {
  const events: JavaEvent[] = [];
  const p = spawnEosTool(root, args, logFile, (e) => events.push(e));
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { events, code };
}
