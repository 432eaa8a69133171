export * from './batch-header.js';
export * from './errors.js';
export * from './compression.js';
export * from './record.js';
export * from './batch.js';
export * from './control.js';
