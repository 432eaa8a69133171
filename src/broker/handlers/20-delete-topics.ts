/**
 * DeleteTopics v0-v6, by name or (v6+) by topic id. Honours delete.topic.enable
 * (TOPIC_DELETION_DISABLED). Partition directories are renamed *-delete and removed in the
 * background, as Kafka does, and every group's committed offsets of the topic are removed.
 * Needs DELETE on the topic (TOPIC_AUTHORIZATION_FAILED, checked before existence for a name; for
 * an id without DESCRIBE on its topic the name is not returned).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/primitives/index.js';
import type { DeleteTopicsResponseDeletableTopicResult } from '../../protocol/messages/20-delete-topics.js';
import { AclOperation, topicAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 20,
  minVersion: 0,
  maxVersion: 6,
  async handle(req, ctx) {
    const b = ctx.broker;
    const wanted: Array<{ name: string | null; topicId: string }> =
      ctx.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const responses: DeleteTopicsResponseDeletableTopicResult[] = [];
    for (const w of wanted) {
      const denied = (name: string | null) => ({ name, topicId: w.topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null });
      if (w.name !== null && !topicAllowed(ctx, AclOperation.DELETE, w.name)) {
        responses.push(denied(w.name));
        continue;
      }
      const t = w.name !== null ? b.topics.get(w.name) : b.topics.getById(w.topicId);
      if (t && w.name === null && !topicAllowed(ctx, AclOperation.DELETE, t.name)) {
        responses.push(denied(topicAllowed(ctx, AclOperation.DESCRIBE, t.name) ? t.name : null));
        continue;
      }
      if (!t) {
        responses.push({
          name: w.name,
          topicId: w.topicId,
          errorCode: w.name !== null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID,
          errorMessage: w.name !== null ? 'This server does not host this topic-partition.' : 'This server does not host this topic ID.',
        });
        continue;
      }
      const res = await b.topics.delete(t.name);
      // As Kafka's coordinator does on partition deletion: no group keeps offsets of a deleted topic.
      if (res.errorCode === ErrorCode.NONE) await b.groups.onTopicsDeleted([t.name]);
      responses.push({ name: t.name, topicId: t.topicId, errorCode: res.errorCode, errorMessage: res.errorMessage });
    }
    return { throttleTimeMs: 0, responses };
  },
});
