/**
 * Kafka's framing: every request and response is a 4-byte big-endian size, then that many bytes.
 * FrameDecoder splits a byte stream, as a socket delivers it (sizes and frames split or coalesced
 * in any way), into whole frames. The broker's connections use it for requests and the client's
 * for responses.
 */
export interface FrameDecoderOptions {
  /** Largest frame accepted. A larger announced size is refused before any of the frame is buffered. */
  maxFrameBytes: number;
  /** Smallest frame accepted (a response carries at least its correlation id). Default 0. */
  minFrameBytes?: number;
  /** Each whole frame, size prefix excluded, in stream order. It may share memory with a chunk. */
  onFrame(frame: Buffer): void;
  /** An announced size outside [minFrameBytes, maxFrameBytes]; the decoder has stopped. */
  onBadSize(size: number): void;
}

export class FrameDecoder {
  /** May change between frames (a SASL listener's limit is lower before authentication). */
  maxFrameBytes: number;
  private readonly minFrameBytes: number;
  private readonly onFrame: (frame: Buffer) => void;
  private readonly onBadSize: (size: number) => void;
  // A size split across chunks is gathered in `header`. A frame wholly inside a chunk is passed on
  // as a slice of it; a longer one is copied into one buffer of the announced size. Never a concat.
  private readonly header = Buffer.alloc(4);
  private headerFill = 0;
  private frame: Buffer | null = null;
  private frameFill = 0;
  private stopped = false;

  constructor(options: FrameDecoderOptions) {
    this.maxFrameBytes = options.maxFrameBytes;
    this.minFrameBytes = options.minFrameBytes ?? 0;
    this.onFrame = options.onFrame;
    this.onBadSize = options.onBadSize;
  }

  /** Ignores all further bytes (the connection is closing). onFrame may call it. */
  stop(): void {
    this.stopped = true;
    this.frame = null;
  }

  /** Feeds the next chunk of the stream; calls onFrame for every frame it completes. */
  push(chunk: Buffer): void {
    let off = 0;
    const len = chunk.length;
    while (off < len && !this.stopped) {
      if (this.frame === null) {
        let size: number;
        if (this.headerFill === 0 && len - off >= 4) {
          size = chunk.readInt32BE(off);
          off += 4;
        } else {
          const n = Math.min(4 - this.headerFill, len - off);
          chunk.copy(this.header, this.headerFill, off, off + n);
          this.headerFill += n;
          off += n;
          if (this.headerFill < 4) return;
          this.headerFill = 0;
          size = this.header.readInt32BE(0);
        }
        if (size < this.minFrameBytes || size > this.maxFrameBytes) {
          this.stop();
          this.onBadSize(size);
          return;
        }
        if (len - off >= size) {
          this.onFrame(chunk.subarray(off, off + size));
          off += size;
          continue;
        }
        this.frame = Buffer.allocUnsafe(size);
        this.frameFill = 0;
      }
      const n = Math.min(this.frame.length - this.frameFill, len - off);
      chunk.copy(this.frame, this.frameFill, off, off + n);
      this.frameFill += n;
      off += n;
      if (this.frameFill === this.frame.length) {
        const frame = this.frame;
        this.frame = null;
        this.onFrame(frame);
      }
    }
  }
}
