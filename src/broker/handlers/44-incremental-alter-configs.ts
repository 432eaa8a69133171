/**
 * IncrementalAlterConfigs v0-v1: SET, DELETE, APPEND and SUBTRACT (lists only) on topic
 * overrides, on this broker's dynamic configs (or the cluster default) and on group configs.
 * Changes are checked first, as Kafka checks them and with its messages (configs.ts), and
 * persisted; logs pick up new segment, flush and size settings at once, KIP-848 groups their
 * session timeout and heartbeat interval.
 */
import { BROKER_CONFIG_BY_NAME, GROUP_CONFIG_BY_NAME, topicConfigDef } from '../config/defs.js';
import {
  applyIncremental,
  configAuthProblem,
  brokerAppendProblem,
  brokerResourceProblem,
  brokerScope,
  changesProblem,
  configErrorResult,
  groupResourceProblem,
  notListProblem,
  OK,
  ResourceType,
  setBrokerDynamic,
  setGroupConfigs,
  unknownResourceType,
  type ResourceResult,
} from './configs.js';
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
      const denied = configAuthProblem(ctx, r.resourceType, r.resourceName, true);
      if (denied) {
        responses.push({ ...denied, resourceType: r.resourceType, resourceName: r.resourceName });
        continue;
      }
      try {
        if (r.resourceType === ResourceType.TOPIC) {
          const t = b.topics.get(r.resourceName);
          res =
            changesProblem(r.configs) ??
            (await b.topics.alterConfigs(
              r.resourceName,
              (current) =>
                applyIncremental(
                  current,
                  r.configs,
                  (name) => topicConfigDef(name)?.type,
                  (name) => (t ? (b.topics.effectiveConfig(t).get(name) ?? null) : null),
                  notListProblem,
                ),
              req.validateOnly,
            ));
        } else if (r.resourceType === ResourceType.BROKER) {
          res = brokerResourceProblem(b, r.resourceName) ?? changesProblem(r.configs) ?? OK;
          if (res === OK) {
            const scope = brokerScope(r.resourceName);
            const next = applyIncremental(
              new Map(b.config.dynamicEntries(scope)),
              r.configs,
              (name) => (BROKER_CONFIG_BY_NAME.get(name)?.kafka === false ? undefined : BROKER_CONFIG_BY_NAME.get(name)?.type),
              (name) => b.config.get(name),
              brokerAppendProblem,
            );
            res = await setBrokerDynamic(b, b.config, next, req.validateOnly, scope);
          }
        } else if (r.resourceType === ResourceType.GROUP) {
          res = groupResourceProblem(r.resourceName, false) ?? changesProblem(r.configs) ?? OK;
          if (res === OK) {
            const next = applyIncremental(b.groupConfigs.overrides(r.resourceName), r.configs, (name) => GROUP_CONFIG_BY_NAME.get(name)?.type, () => null, notListProblem);
            res = await setGroupConfigs(b, r.resourceName, next, req.validateOnly);
          }
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
