/**
 * Hands out producer ids for InitProducerId. Ids are reserved in blocks persisted before use (as
 * Kafka's controller does with its producer id blocks), so an id is never given twice, even
 * across a crash.
 */
export class ProducerIdManager {
  private next: number;
  private blockEnd: number;

  constructor(
    reservedUpTo: number,
    private readonly reserve: (upTo: number) => Promise<void>,
    private readonly blockSize = 1000,
  ) {
    this.next = reservedUpTo;
    this.blockEnd = reservedUpTo;
  }

  private pending: Promise<void> | undefined;

  async nextId(): Promise<bigint> {
    while (this.next >= this.blockEnd) {
      if (!this.pending) {
        const upTo = this.blockEnd + this.blockSize;
        this.pending = this.reserve(upTo).then(
          () => {
            this.blockEnd = upTo;
            this.pending = undefined;
          },
          (err: unknown) => {
            this.pending = undefined;
            throw err;
          },
        );
      }
      await this.pending;
    }
    return BigInt(this.next++);
  }
}
