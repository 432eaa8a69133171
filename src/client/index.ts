// The client library: Connection (one broker: framing, version negotiation, requests in flight),
// and on it Producer, Consumer (assigned partitions, or a member of a classic consumer group), Admin,
// the consumer-protocol helpers the tools share, parseHostPort, and the client's error classes.
export * from './errors.js';
export * from './connection.js';
export * from './admin.js';
export * from './producer.js';
export * from './consumer.js';
export * from './consumer-protocol.js';
