export * from './clock.js';
export * from './hash.js';
export * from '../../protocol/coordinator-records.js';
export * from './group.js';
export * from './storage.js';
export * from './runtime.js';
export * from './group-coordinator.js';
