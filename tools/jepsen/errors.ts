/**
 * Counts of the errors the clients reported during a run, by message with its numbers masked, so
 * a thousand "connection to 127.0.0.1:40123 closed" become one line of the report.
 */
export class ErrorLog {
  readonly counts: Record<string, number> = {};

  note(message: string): void {
    const key = message.replace(/\d+/g, 'N').slice(0, 160);
    this.counts[key] = (this.counts[key] ?? 0) + 1;
  }
}
