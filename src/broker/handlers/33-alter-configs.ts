/**
 * AlterConfigs v0-v2 (the legacy, replace-everything form): the given keys become the resource's
 * whole set of overrides. Topics, this broker's dynamic configs (or the cluster default) and
 * groups; all are persisted. Checks and messages are Kafka's (configs.ts).
 */
import { configAuthProblem, brokerResourceProblem, brokerScope, changesProblem, configErrorResult, groupResourceProblem, OK, ResourceType, setBrokerDynamic, setGroupConfigs, unknownResourceType, type ResourceResult } from './configs.js';
import { defineHandler } from './handler.js';

export default defineHandler({
  apiKey: 33,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const b = ctx.broker;
    const responses = [];
    for (const r of req.resources) {
      let res: ResourceResult = OK;
      const denied = configAuthProblem(ctx, r.resourceType, r.resourceName, true);
      if (denied) {
        responses.push({ ...denied, resourceType: r.resourceType, resourceName: r.resourceName });
        continue;
      }
      try {
        const next = (): Map<string, string> => new Map(r.configs.map((c) => [c.name, c.value!] as [string, string]));
        if (r.resourceType === ResourceType.TOPIC) {
          res = changesProblem(r.configs) ?? (await b.topics.alterConfigs(r.resourceName, next, req.validateOnly));
        } else if (r.resourceType === ResourceType.BROKER) {
          res = brokerResourceProblem(b, r.resourceName) ?? changesProblem(r.configs) ?? (await setBrokerDynamic(b, b.config, next(), req.validateOnly, brokerScope(r.resourceName)));
        } else if (r.resourceType === ResourceType.GROUP) {
          res = groupResourceProblem(r.resourceName, false) ?? changesProblem(r.configs) ?? (await setGroupConfigs(b, r.resourceName, next(), req.validateOnly));
        } else {
          res = unknownResourceType(r.resourceType);
        }
      } catch (err) {
        res = configErrorResult(err);
      }
      responses.push({ ...res, resourceType: r.resourceType, resourceName: r.resourceName });
    }
    return { throttleTimeMs: 0, responses };
  },
});
