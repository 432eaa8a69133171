import { readFile } from 'node:fs/promises';
import { Broker } from '../broker/broker.js';
import { ConfigError } from '../broker/config/config.js';
import { parseProperties } from '../util/properties.js';
import { createLogger } from '../broker/logger.js';

/** Runs the broker until SIGINT/SIGTERM. Returns the process exit code. */
export async function serverStart(file: string, overrides: readonly string[]): Promise<number> {
  const log = createLogger(process.env.TRIBUTARY_LOG_LEVEL ?? 'info');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    log.fatal(`cannot read ${file}: ${(err as Error).message}`);
    return 1;
  }
  const props = parseProperties(text);
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) {
      log.fatal(`--override ${o}: expected key=value`);
      return 1;
    }
    props.set(o.slice(0, eq).trim(), o.slice(eq + 1));
  }
  let broker: Broker;
  try {
    broker = await Broker.start(Object.fromEntries(props), { logger: log });
  } catch (err) {
    if (err instanceof ConfigError) {
      log.fatal(err.message);
      return 1;
    }
    log.fatal({ err }, 'broker failed to start');
    return 1;
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log.info('shutting down');
  await broker.close();
  return 0;
}
