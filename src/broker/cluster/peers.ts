/**
 * How the cluster code reaches other brokers (follower fetches, AlterPartition to the controller,
 * OffsetsForLeaderEpoch before truncating): one request to a broker by id, answered or rejected.
 * The sockets live in broker/network/peers.ts; this layer sees only this interface.
 */
import type { ApiKeyNumber, RequestOf, ResponseOf } from '../../protocol/messages/index.js';

export interface PeerSendOptions {
  /** The version to send (brokers pin the versions they speak to each other). */
  version?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * A separate connection to the peer for this kind of traffic (Kafka gives the replica fetchers,
   * the transaction marker channel and the AddPartitionsToTxn manager their own). A broker answers
   * a connection's requests in order, so a request that waits long (a marker written with
   * acks=-1) would otherwise hold up the follower fetches it is waiting for. Default: the shared one.
   */
  channel?: string;
}

export interface Peers {
  /** Sends to broker `brokerId` at the address its registration gives; rejects when it cannot be reached. */
  send<K extends ApiKeyNumber>(brokerId: number, apiKey: K, request: RequestOf<K>, opts?: PeerSendOptions): Promise<ResponseOf<K>>;
  /** Drops the connection to a broker (it restarted or went away). */
  forget(brokerId: number): void;
  close(): Promise<void>;
}
