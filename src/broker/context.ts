import type { BrokerConfig } from './config/config.js';
import type { GroupConfigs } from './config/group-configs.js';
import type { TopicManager } from './metadata/topics.js';
import type { ConfigReader, ListenerSpec, SecurityProtocol } from './config/listeners.js';
import type { SaslSession } from './security/sasl/session.js';
import type { ScramCredentialStore } from './security/scram-store.js';

import type { ProducerIdManager } from './producer-ids.js';
import type { FetchSessionCache } from './fetch-sessions.js';
import type { Logger } from './logger.js';
import type { GroupCoordinator } from './coordinator/group-coordinator.js';
import type { TransactionCoordinator } from './coordinator/txn-coordinator.js';
import type { Authorizer } from './authorization.js';
import type { Acls } from './acl/acls.js';
import type { Waits } from './waits.js';
import type { Replicas } from './replicas.js';
import type { Controller } from './cluster/controller.js';
import type { Peers } from './cluster/peers.js';
import type { ReplicationThrottle } from './replication-throttle.js';
import type { BrokerQuotas } from './quota/quotas.js';

/** What the request router and the handlers know of a connection: no socket, just identity. */
export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly listenerName: string;
  readonly localPort: number;
  /** The listener's security protocol (listener.security.protocol.map). */
  readonly securityProtocol: SecurityProtocol;
  /**
   * Who is on the other end, as Kafka's KafkaPrincipal string: `User:ANONYMOUS` before or
   * without authentication, `User:<name>` after a SASL login or from a client certificate.
   * What the authorizer decides on.
   */
  readonly principal: string;
  /** The SASL login state on a SASL listener; null elsewhere. */
  readonly sasl: SaslSession | null;
}

/** Everything a handler may use: the broker's state, never its sockets. */
export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly log: Logger;
  readonly nodeId: number;
  readonly clusterId: string;
  /** Where clients should connect, by listener name (ports resolved after binding). */
  readonly advertised: readonly ListenerSpec[];
  readonly topics: TopicManager;
  /** Partition leadership: which partitions this broker leads, and how a leader appends. */
  readonly replicas: Replicas;
  /** The cluster's controller logic on this broker (it answers AlterPartition when elected); null on a single node. */
  readonly controller: Controller | null;
  /** Requests to the other brokers of the cluster (forwarding to the controller); null on a single node. */
  readonly peers: Peers | null;
  /** leader.replication.throttled.rate for follower fetches of throttled replicas. */
  readonly replicationThrottle: ReplicationThrottle;
  readonly producerIds: ProducerIdManager;
  /** Incremental fetch sessions (KIP-227). */
  readonly fetchSessions: FetchSessionCache;
  /** The classic consumer group coordinator (groups and committed offsets in __consumer_offsets). */
  readonly groups: GroupCoordinator;
  /** The transaction coordinator (transactional ids in __transaction_state). */
  readonly txns: TransactionCoordinator;
  /** Decides what a principal may do; null: no authorizer configured, everything is allowed. */
  readonly authorizer: Authorizer | null;
  /** Users' SCRAM credentials (salted), persisted in the metadata store. */
  readonly scram: ScramCredentialStore;
  /**
   * Dynamic configs of TLS listeners changed (listener.name.<l>.ssl.*): a function that swaps in
   * the new certificates, or why they cannot be used. `reader` shows the configs as they would be.
   */
  tlsConfigChange(reader: ConfigReader, changed: readonly string[]): (() => void) | string;
  /** Dynamic broker configs changed: the connection limits take the new values (waiting listeners go on, excess connections close). */
  connectionLimitsChanged(): void;
  /** Client quotas (AlterClientQuotas, DescribeClientQuotas) and their measured rates. */
  readonly quotas: BrokerQuotas;
  /** The ACLs behind `authorizer` (CreateAcls, DescribeAcls, DeleteAcls). */
  readonly acls: Acls;
  /** Group configs (the GROUP config resource), persisted with the dynamic broker configs. */
  readonly groupConfigs: GroupConfigs;
  /** The API version ranges of the registered handlers (ApiVersions). */
  supportedVersions(): Array<{ apiKey: number; minVersion: number; maxVersion: number }>;
  /** Requests waiting in the broker (fetch long polls): closed on shutdown, so they return at once. */
  readonly waits: Waits;
  now(): number;
}
