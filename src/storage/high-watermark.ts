/**
 * A partition's high watermark, kept apart from the log end offset (Kafka's UnifiedLog
 * highWatermarkMetadata). On a single node every append is committed as soon as it is written, so
 * the high watermark follows the log end. In a replicated cluster only the partition's leader
 * knows what every in-sync replica has, and moves it (setHighWatermark); a follower copies the
 * leader's. Either way it only goes forward, except when the log itself is cut back (truncation).
 */
import { OffsetSignal } from './offset-signal.js';

export class HighWatermark {
  private hw: number;
  readonly signal = new OffsetSignal();

  constructor(
    /** False: the high watermark follows the log end offset after every append. */
    readonly replicated: boolean,
    initial: number,
  ) {
    this.hw = initial;
  }

  get value(): number {
    return this.hw;
  }

  /** After an append wrote up to `logEndOffset`. */
  appended(logEndOffset: number): void {
    if (!this.replicated) this.raise(logEndOffset);
  }

  /**
   * Moves it to `offset` clamped to [logStartOffset, logEndOffset], if that is higher; tells the
   * listeners when it moved. A lower value is ignored: what was committed stays committed.
   */
  advance(offset: number, logStartOffset: number, logEndOffset: number): void {
    this.raise(Math.min(Math.max(offset, logStartOffset), logEndOffset));
  }

  private raise(offset: number): void {
    if (offset <= this.hw) return;
    this.hw = offset;
    this.signal.emit(offset);
  }

  /** The log was cut back to end at `logEndOffset`: nothing above it can be committed. Not announced. */
  truncated(logEndOffset: number): void {
    if (this.hw > logEndOffset) this.hw = logEndOffset;
  }

  /** The log restarted empty at `offset`: announced only when that is a step forward. */
  reset(offset: number): void {
    if (offset > this.hw) this.raise(offset);
    else this.hw = offset;
  }
}
