// The client library: connections and the admin client now; producer and consumer build on them.
export * from './errors.js';
export * from './connection.js';
export * from './admin.js';
export * from './producer.js';
export * from './consumer.js';
export * from './consumer-protocol.js';
