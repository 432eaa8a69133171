// The client library: Connection (one broker: framing, version negotiation, requests in flight),
// and on it Producer, Consumer (assigned partitions, or a member of a classic consumer group), Admin,
// the consumer-protocol helpers the tools share, parseHostPort, and the client's error classes.
// Transactions: Producer (transactionalId), the read_committed filter, GroupMetadata.
export * from './errors.js';
export * from './connection.js';
export * from './admin.js';
export * from './producer.js';
export * from './consumer.js';
export * from './consumer-protocol.js';
export { AbortedTransactionFilter, type AbortedTransaction } from './read-committed.js';
export type { GroupMetadata, TransactionState } from './transaction-manager.js';
export * from './exactly-once.js';
export type { SaslOptions, SaslMechanism, PasswordSaslOptions } from './sasl.js';
export { unsecuredToken, type OAuthBearerOptions, type OAuthBearerToken, type UnsecuredTokenOptions } from './oauthbearer.js';
