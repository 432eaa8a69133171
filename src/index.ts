export { Broker, type BrokerOptions, type BrokerRuntimeOptions } from './broker/broker.js';
export { ConfigError } from './broker/config/config.js';
export * as protocol from './protocol/index.js';
export * from './client/index.js';
