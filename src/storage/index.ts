export * from './config.js';
export * from './errors.js';
export * from './partition-log.js';
export { Log, type LogOpenOptions, type LogRecoveryInfo, type RecoveryEvent } from './log.js';
export { setStorageIoHooks, ioError, type StorageIoHooks, type StorageIoFault, type StorageFileKind } from './io-hooks.js';
export {
  validateRecords,
  noKeyMessage,
  analyzeAppend,
  assignOffset,
  writeAssignedHeaders,
  type ValidatorConfig,
  type ValidationContext,
  type RecordValidation,
  type ValidatedRecords,
  type RejectedRecords,
  type RecordError,
  type AppendBatch,
} from './log-validator.js';
export { LogSegment, wholeBatchesLength, type AppendedBatch, type BatchLocation } from './segment.js';
export { OffsetIndex, TimeIndex, type OffsetPosition, type TimestampOffset } from './indexes.js';
export {
  ProducerStateManager,
  ProducerAppend,
  NUM_BATCHES_TO_RETAIN,
  encodeProducerSnapshot,
  decodeProducerSnapshot,
  incrementSequence,
  type BatchMetadata,
  type ProducerStateEntry,
  type ProducerCheck,
  type CompletedTxn,
  type TxnMarker,
} from './producer-state.js';
export { LogManager, parsePartitionDirName, deleteDirName, type LogManagerOptions, type TopicPartitionKey } from './log-manager.js';
export * from './checkpoint.js';
export * from './leader-epoch-cache.js';
export * from './meta-properties.js';
export { offsetFileName } from './files.js';
export { recordTimestamps, type Decompress, type RecordTimestamp } from './record-scan.js';
export {
  TxnIndex,
  TxnIndexCorruptError,
  decodeTxnIndex,
  encodeAbortedTxns,
  ABORTED_TXN_SIZE,
  type AbortedTxn,
  type DecodedTxnIndex,
  type TxnSearch,
} from './txn-index.js';
