/**
 * A leader's ISR changes, asked of the controller (Kafka's AlterPartitionManager): one
 * AlterPartition request per change, at most one in flight per partition, carrying the leader
 * epoch and partition epoch the leader acts on so the controller refuses a stale one. The leader
 * does not change its ISR until the controller accepted (then `accepted` is told, and the view
 * follows); a refused or failed request is simply asked again at the next follower fetch or
 * ISR check, from the state as it is then.
 */
import { ErrorCode, errorInfo } from '../../protocol/errors.js';
import { ApiKey } from '../../protocol/messages/index.js';
import { ZERO_UUID } from '../../protocol/primitives/index.js';
import type { Logger } from '../logger.js';
import type { Peers } from './peers.js';
import type { ClusterView } from './view.js';

/** Brokers speak AlterPartition v1 to each other (topic names, broker epoch). */
export const ALTER_PARTITION_VERSION = 1;

export interface IsrRequestsOptions {
  nodeId: number;
  view: ClusterView;
  peers: Peers;
  log: Logger;
  brokerEpoch: () => bigint;
  accepted: (topic: string, partition: number, leaderEpoch: number, isr: number[], partitionEpoch: number) => void;
}

export class IsrRequests {
  private readonly inFlight = new Set<string>();

  constructor(private readonly opts: IsrRequestsOptions) {}

  request(topic: string, partition: number, leaderEpoch: number, partitionEpoch: number, isr: number[]): void {
    const k = `${topic}\u0000${partition}`;
    if (this.inFlight.has(k)) return;
    const controller = this.opts.view.controller;
    if (controller === null) return;
    this.inFlight.add(k);
    void this.send(controller, topic, partition, leaderEpoch, partitionEpoch, isr).finally(() => this.inFlight.delete(k));
  }

  private async send(controller: number, topic: string, partition: number, leaderEpoch: number, partitionEpoch: number, isr: number[]): Promise<void> {
    const o = this.opts;
    try {
      const res = await o.peers.send(
        controller,
        ApiKey.AlterPartition,
        {
          brokerId: o.nodeId,
          brokerEpoch: o.brokerEpoch(),
          topics: [
            {
              topicName: topic,
              topicId: ZERO_UUID,
              partitions: [{ partitionIndex: partition, leaderEpoch, newIsr: isr, newIsrWithEpochs: [], leaderRecoveryState: 0, partitionEpoch }],
            },
          ],
        },
        { version: ALTER_PARTITION_VERSION, timeoutMs: 10_000 },
      );
      if (res.errorCode !== ErrorCode.NONE) {
        o.log.debug({ topic, partition, controller, error: errorInfo(res.errorCode).name }, 'AlterPartition refused');
        return;
      }
      const r = res.topics[0]?.partitions[0];
      if (!r) return;
      if (r.errorCode !== ErrorCode.NONE) {
        o.log.info({ topic, partition, isr, error: errorInfo(r.errorCode).name }, 'ISR change refused by the controller');
        return;
      }
      o.accepted(topic, partition, r.leaderEpoch, r.isr, r.partitionEpoch);
    } catch (err) {
      o.log.debug({ err, topic, partition, controller }, 'AlterPartition failed');
    }
  }
}
