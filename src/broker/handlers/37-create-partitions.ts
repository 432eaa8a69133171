/** CreatePartitions v0-v3: grows a topic's partition count (never shrinks it). */
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, topicAllowed } from './auth.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 37,
  minVersion: 0,
  maxVersion: 3,
  async handle(req, ctx) {
    const b = ctx.broker;
    const results = [];
    for (const t of req.topics) {
      if (!topicAllowed(ctx, AclOperation.ALTER, t.name)) {
        results.push({ name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'The topic authorization is failed.' });
        continue;
      }
      if (t.assignments && t.assignments.some((a) => a.brokerIds.some((id) => id !== b.nodeId))) {
        results.push({ name: t.name, errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `Assignments may only name broker ${b.nodeId}.` });
        continue;
      }
      const res = await b.topics.addPartitions(t.name, t.count, req.validateOnly);
      results.push({ name: t.name, errorCode: res.errorCode, errorMessage: res.errorMessage });
    }
    return { throttleTimeMs: 0, results };
  },
});
