/**
 * AlterConfigs v0-v2 (the legacy, replace-everything form): the given keys become the resource's
 * whole set of overrides. Topics and this broker's dynamic configs; both are persisted.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { brokerResourceProblem, brokerScope, configErrorResult, OK, ResourceType, setBrokerDynamic, type ResourceResult } from './configs.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 33,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const b = ctx.broker;
    const responses = [];
    for (const r of req.resources) {
      const next = new Map(r.configs.map((c) => [c.name, c.value] as [string, string | null]));
      let res: ResourceResult = OK;
      try {
        if (r.resourceType === ResourceType.TOPIC) {
          res = await b.topics.alterConfigs(r.resourceName, () => next, req.validateOnly);
        } else if (r.resourceType === ResourceType.BROKER) {
          res = brokerResourceProblem(b, r.resourceName) ?? (await setBrokerDynamic(b, b.config, next, req.validateOnly, brokerScope(r.resourceName)));
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
