/**
 * DescribeConfigs v0-v4 for topics (every topic-level key with its effective value and source),
 * for this broker (static, dynamic and default values) and for groups (the GROUP resource: a
 * group's own configs over the broker's group.* keys). Synonyms (v1+) list the chain a value was
 * resolved through; config types (v3+) follow KIP-569.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { configAuthProblem, brokerResourceProblem, brokerScope, describeBrokerConfigs, describeGroupConfigs, describeTopicConfigs, groupResourceProblem, ResourceType } from './configs.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 32,
  minVersion: 0,
  maxVersion: 4,
  handle(req, ctx) {
    const b = ctx.broker;
    const synonyms = ctx.apiVersion >= 1 && req.includeSynonyms;
    const results = req.resources.map((r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      const denied = configAuthProblem(ctx, r.resourceType, r.resourceName, false);
      if (denied) return { ...base, ...denied, configs: [] };
      if (r.resourceType === ResourceType.TOPIC) {
        if (!b.topics.get(r.resourceName)) {
          return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${r.resourceName} does not exist`, configs: [] };
        }
        return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: describeTopicConfigs(b, r.resourceName, r.configurationKeys, synonyms) };
      }
      if (r.resourceType === ResourceType.BROKER) {
        const problem = brokerResourceProblem(b, r.resourceName, true);
        if (problem) return { ...base, ...problem, configs: [] };
        return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: describeBrokerConfigs(b, r.configurationKeys, synonyms, brokerScope(r.resourceName)) };
      }
      if (r.resourceType === ResourceType.GROUP) {
        const problem = groupResourceProblem(r.resourceName, true);
        if (problem) return { ...base, ...problem, configs: [] };
        return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: describeGroupConfigs(b, r.resourceName, r.configurationKeys, synonyms) };
      }
      return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Resource type ${r.resourceType} is not supported`, configs: [] };
    });
    return { throttleTimeMs: 0, results };
  },
});
