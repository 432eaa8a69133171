/**
 * Counts of the errors the clients reported during a run, by message with its numbers masked, so
 * a thousand "connection to 127.0.0.1:40123 closed" become one line of the report.
 */
export class ErrorLog {
  readonly counts: Record<string, number> = {};

  /** Notes an error as `<who>: <class> [<Kafka error name>]: <message>`. */
  error(who: string, err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    const kafka = (e as Error & { errorName?: unknown }).errorName;
    this.note(`${who}: ${e.name}${typeof kafka === 'string' ? ` ${kafka}` : ''}: ${e.message}`);
  }

  note(message: string): void {
    const key = message.replace(/\d+/g, 'N').slice(0, 160);
    this.counts[key] = (this.counts[key] ?? 0) + 1;
  }
}
