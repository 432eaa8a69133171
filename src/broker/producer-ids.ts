/**
 * Hands out producer ids for InitProducerId from blocks claimed before use (as Kafka's controller
 * hands out producer id blocks), so an id is never given twice: not after a crash, and in a
 * cluster not by two brokers. Where blocks come from is the caller's: on a single broker a
 * counter in the metadata file (`fileBlocks`), in a cluster a counter in etcd
 * (EtcdClusterStore.claimProducerIdBlock).
 */
export interface ProducerIdBlock {
  /** First id of the block. */
  start: number;
  /** One past the last id of the block. */
  end: number;
}

export type ClaimBlock = (size: number) => Promise<ProducerIdBlock>;

export class ProducerIdManager {
  private next = 0;
  private blockEnd = 0;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly claim: ClaimBlock,
    private readonly blockSize = 1000,
  ) {}

  async nextId(): Promise<bigint> {
    while (this.next >= this.blockEnd) {
      if (!this.pending) {
        this.pending = this.claim(this.blockSize).then(
          (b) => {
            this.next = b.start;
            this.blockEnd = b.end;
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

/** Blocks from a counter persisted (by `save`) before the block is used: a single broker's. */
export function fileBlocks(reservedUpTo: number, save: (upTo: number) => Promise<void>): ClaimBlock {
  let reserved = reservedUpTo;
  return async (size) => {
    const start = reserved;
    await save(start + size);
    reserved = start + size;
    return { start, end: start + size };
  };
}
