// The client library: connections now; producer, consumer and admin build on them.
export * from './errors.js';
export * from './connection.js';
