// The wire protocol: primitives, framing, generated message codecs and the error-code table.
export * from './primitives/index.js';
export * from './framing.js';
export * from './messages/index.js';
export * from './errors.js';
export { KafkaProtocolError } from './kafka-error.js';
