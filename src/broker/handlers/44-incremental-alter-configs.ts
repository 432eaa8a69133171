/**
 * IncrementalAlterConfigs v0-v1: SET, DELETE, APPEND and SUBTRACT (lists only) on topic overrides
 * and on this broker's dynamic configs. Changes are validated first and persisted; logs pick
 * up new segment, flush and size settings at once.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { BROKER_CONFIG_BY_NAME, TOPIC_CONFIG_BY_NAME } from '../config/defs.js';
import { applyIncremental, brokerResourceProblem, brokerScope, configErrorResult, OK, ResourceType, setBrokerDynamic, type ResourceResult } from './configs.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 44,
  minVersion: 0,
  maxVersion: 1,
  async handle(req, ctx) {
    const b = ctx.broker;
    const responses = [];
    for (const r of req.resources) {
      let res: ResourceResult = OK;
      try {
        if (r.resourceType === ResourceType.TOPIC) {
          const t = b.topics.get(r.resourceName);
          res = await b.topics.alterConfigs(
            r.resourceName,
            (current) =>
              applyIncremental(
                current,
                r.configs,
                (name) => (TOPIC_CONFIG_BY_NAME.has(name) ? TOPIC_CONFIG_BY_NAME.get(name)!.type === 'list' : undefined),
                (name) => (t ? (b.topics.effectiveConfig(t).get(name) ?? null) : null),
              ),
            req.validateOnly,
          );
        } else if (r.resourceType === ResourceType.BROKER) {
          const problem = brokerResourceProblem(b, r.resourceName);
          if (problem) res = problem;
          else {
            const scope = brokerScope(r.resourceName);
            const next = applyIncremental(
              new Map(b.config.dynamicEntries(scope)),
              r.configs,
              (name) => (BROKER_CONFIG_BY_NAME.has(name) ? BROKER_CONFIG_BY_NAME.get(name)!.type === 'list' : undefined),
              (name) => b.config.get(name),
            );
            res = await setBrokerDynamic(b, b.config, next, req.validateOnly, scope);
          }
        } else {
          res = { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Resource type ${r.resourceType} is not supported` };
        }
      } catch (err) {
        res = configErrorResult(err);
      }
      responses.push({ ...res, resourceType: r.resourceType, resourceName: r.resourceName });
    }
    return { throttleTimeMs: 0, responses };
  },
});
