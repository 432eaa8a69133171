/**
 * Produce v3-v13 (record batch v2 only; v0-v2 need the legacy message format and are refused).
 * v12 is v11 (for Kafka, transactions V2 of KIP-890); v13 names topics by topic id (KIP-516), and its
 * answer too: an unknown id gets UNKNOWN_TOPIC_ID for each of its partitions.
 * acks 0, 1 and -1: 1 answers after the leader's append (which includes the fsync when the flush
 * policy asks for one, flush.messages=1); -1 also waits until the in-sync replicas have the batch
 * (the high watermark passes it; on a single node at once), within the request's timeout. Only
 * the partition's leader appends (NOT_LEADER_OR_FOLLOWER elsewhere, with the leader it knows in
 * current_leader). acks=0 sends no response; an error then closes the connection, as Kafka does,
 * so the client notices.
 * Batches are checked by the storage's LogValidator with the log's resolved config: from their
 * headers (CRC, magic, sizes, max.message.bytes, timestamps), and on a compacted topic record by
 * record (a record without a key is refused with INVALID_RECORD, record_errors and Kafka's
 * error_message). They are appended as they came, with only the base offset (and the
 * LogAppendTime stamp) rewritten.
 * Transactional batches (KIP-890): the first batch of a transaction on a partition (the log has
 * no open transaction of the producer) is first checked with the transaction coordinator (below
 * v12: is the partition in the transaction? transaction.partition.verification.enable) or added
 * to the transaction (v12+, transaction version 2: the client no longer adds partitions itself).
 * A refused batch gets INVALID_TXN_STATE ("Partition was not added to the transaction"),
 * INVALID_PRODUCER_EPOCH, INVALID_PRODUCER_ID_MAPPING, TRANSACTION_ABORTABLE (v11+), or, while the
 * coordinator cannot answer, NOT_ENOUGH_REPLICAS, which clients retry.
 */
import { ErrorCode, errorInfo } from '../../protocol/errors.js';
import type { ProduceResponsePartitionProduceResponse, ProduceResponseTopicProduceResponse } from '../../protocol/messages/00-produce.js';
import { StorageError } from '../../storage/errors.js';
import { validateRecords } from '../../storage/log-validator.js';
import { ArrivalOrder } from '../arrival-order.js';
import { AclOperation, topicAllowed, txnIdAllowed } from './auth.js';
import { produceThrottleMs } from './quotas.js';
import { defineHandler } from './handler.js';
import { ATTR_TRANSACTIONAL, readBatchHeader, BATCH_HEADER_SIZE } from '../../protocol/records/batch-header.js';
import { tpKey } from '../coordinator/txn-metadata.js';
import { hasOpenTransaction, produceVerificationError, verifyInTransaction } from '../txn-verification.js';

const EMPTY = Buffer.alloc(0);

function partitionResult(index: number, errorCode: number, errorMessage: string | null = null): ProduceResponsePartitionProduceResponse {
  return {
    index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
  };
}

/** Each partition log's appends, in the order their requests arrived (compacted topics check asynchronously). */
const appendOrder = new ArrivalOrder<object>();

export default defineHandler({
  apiKey: 0,
  minVersion: 3,
  maxVersion: 13,
  async handle(req, ctx) {
    const b = ctx.broker;
    const byId = ctx.apiVersion >= 13;
    /** KIP-890: the transactional batches that would open a transaction here, checked with (or added to) the coordinator. */
    async function verifyTransactionalBatches(): Promise<Map<string, number>> {
      const txnId = req.transactionalId;
      const mode = ctx.apiVersion >= 12 ? 'add' : 'verify';
      if (txnId === null || (mode === 'verify' && !b.config.bool('transaction.partition.verification.enable'))) return new Map();
      const partitions: Array<{ topic: string; partition: number }> = [];
      let producer: { producerId: bigint; producerEpoch: number } | null = null;
      for (const t of req.topicData) {
        const name = byId ? b.topics.getById(t.topicId)?.name : t.name;
        if (name === undefined) continue;
        for (const p of t.partitionData) {
          const recs = p.records;
          if (!recs || recs.length < BATCH_HEADER_SIZE) continue;
          const h = readBatchHeader(recs, 0);
          if (h.magic !== 2 || (h.attributes & ATTR_TRANSACTIONAL) === 0 || h.producerId < 0n) continue;
          const lead = b.replicas.leader(name, p.index);
          if (!lead.ok || hasOpenTransaction(lead.log, h.producerId, h.producerEpoch)) continue;
          producer ??= { producerId: h.producerId, producerEpoch: h.producerEpoch };
          partitions.push({ topic: name, partition: p.index });
        }
      }
      if (!producer) return new Map();
      return verifyInTransaction(b, { transactionalId: txnId, ...producer, partitions, mode, abortableSupported: ctx.apiVersion >= 11 });
    }

    if (req.acks !== 0 && req.acks !== 1 && req.acks !== -1) {
      const responses = req.topicData.map((t) => ({
        name: t.name,
        topicId: t.topicId,
        partitionResponses: t.partitionData.map((p) => partitionResult(p.index, ErrorCode.INVALID_REQUIRED_ACKS)),
      }));
      return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
    }

    // Kafka: transactional records need WRITE on the transactional id (the whole request fails);
    // each topic needs WRITE on the topic.
    const hasTxnRecords = req.topicData.some((t) =>
      t.partitionData.some((p) => p.records !== null && p.records.length >= BATCH_HEADER_SIZE && (readBatchHeader(p.records, 0).attributes & ATTR_TRANSACTIONAL) !== 0),
    );
    if (hasTxnRecords && (req.transactionalId === null || !txnIdAllowed(ctx, AclOperation.WRITE, req.transactionalId))) {
      const responses = req.topicData.map((t) => ({
        name: t.name,
        topicId: t.topicId,
        partitionResponses: t.partitionData.map((p) => partitionResult(p.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)),
      }));
      if (req.acks === 0) {
        ctx.requestClose('acks=0 produce failed (TRANSACTIONAL_ID_AUTHORIZATION_FAILED)');
        return null;
      }
      return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
    }

    const verified = await verifyTransactionalBatches();
    const produceOne = async (topic: string, index: number, records: Buffer | null): Promise<ProduceResponsePartitionProduceResponse> => {
      if (!topicAllowed(ctx, AclOperation.WRITE, topic)) return partitionResult(index, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      const t = b.topics.get(topic);
      if (!t) return partitionResult(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
      if (b.topics.isInternal(topic)) return partitionResult(index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`);
      const lead = b.replicas.leader(topic, index);
      if (!lead.ok) {
        const res = partitionResult(index, lead.errorCode, lead.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? 'This server does not host this topic-partition.' : null);
        res.currentLeader = { leaderId: lead.leaderId, leaderEpoch: lead.leaderEpoch };
        return res;
      }
      const log = lead.log;
      // Headers, and the decompressed size of compressed batches (bounded by socket.request.max.bytes,
      // synchronously); records decoded only on a compacted topic.
      const validation = validateRecords(records ?? EMPTY, log.config, {
        topic,
        partition: index,
        produceVersion: ctx.apiVersion,
        now: b.now(),
        maxDecompressedBytes: b.config.int('socket.request.max.bytes'),
      });
      return appendOrder.run(log, validation, async (check) => {
        if (!check.ok) {
          const res = partitionResult(index, check.errorCode, check.message);
          if (check.recordErrors.length > 0) {
            // Kafka's answer to a RecordValidationException: the record errors and the log start offset.
            res.recordErrors = check.recordErrors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message }));
            res.logStartOffset = BigInt(log.logStartOffset);
          }
          return res;
        }
        const refused = verified.get(tpKey({ topic, partition: index }));
        if (refused !== undefined && refused !== ErrorCode.NONE) {
          const e = produceVerificationError(refused);
          return partitionResult(index, e.errorCode, e.message);
        }
        try {
          const stamp = check.logAppendTime;
          const r = await b.replicas.appendAsLeader(topic, index, records!, { acks: req.acks, timeoutMs: req.timeoutMs, ...(stamp === undefined ? {} : { logAppendTime: stamp }) });
          const res = partitionResult(index, ErrorCode.NONE);
          res.baseOffset = BigInt(r.baseOffset);
          res.logAppendTimeMs = r.logAppendTime;
          res.logStartOffset = BigInt(r.logStartOffset);
          return res;
        } catch (err) {
          if (err instanceof StorageError) return partitionResult(index, err.code, err.message);
          b.log.error({ err, topic, partition: index }, 'append failed');
          return partitionResult(index, ErrorCode.KAFKA_STORAGE_ERROR, 'append failed');
        }
      });
    };

    const responses: ProduceResponseTopicProduceResponse[] = await Promise.all(
      req.topicData.map(async (t) => {
        const name = byId ? b.topics.getById(t.topicId)?.name : t.name;
        return {
          name: name ?? '',
          topicId: t.topicId,
          partitionResponses: await Promise.all(
            t.partitionData.map((p) => (name === undefined ? partitionResult(p.index, ErrorCode.UNKNOWN_TOPIC_ID) : produceOne(name, p.index, p.records))),
          ),
        };
      }),
    );
    const throttleTimeMs = produceThrottleMs(ctx, req.acks);
    if (req.acks === 0) {
      const failed = responses.flatMap((t) =>
        t.partitionResponses.filter((p) => p.errorCode !== ErrorCode.NONE).map((p) => `${t.name || t.topicId}-${p.index}: ${errorInfo(p.errorCode).name}`),
      );
      if (failed.length > 0) ctx.requestClose(`acks=0 produce failed (${failed.join(', ')})`);
      return null;
    }
    return { responses, throttleTimeMs, nodeEndpoints: [] };
  },
});
