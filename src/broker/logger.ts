import { pino, type Logger } from 'pino';

export type { Logger };

/** The broker's structured logger: JSON lines on stderr, so stdout stays free for tools. */
export function createLogger(level: string = process.env.TRIBUTARY_LOG_LEVEL ?? 'warn'): Logger {
  return pino({ level, base: { name: 'tributary' } }, pino.destination(2));
}
