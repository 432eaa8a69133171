/**
 * The cost of authorization with 10,000 ACLs against none (issue 11).
 *
 *  1. authorize(): the mean time of one check with the authorizer alone, for a principal that has
 *     a literal ALLOW on its topic among 10,000 ACLs (literal and prefixed, on topics, groups and
 *     transactional ids, for 500 principals, prefixes of 40 lengths), and for a topic no ACL names.
 *  2. Per request, through an in-process broker (one connection, requests one after another):
 *     Produce of a 1-record batch (acks=1) and Metadata of one topic, from a non-super principal
 *     (the broker's principalBuilder seam), with no authorizer and with StandardAuthorizer holding
 *     10,000 ACLs. The difference is what authorization adds to a request.
 *
 *   node dist/bench/acls.js [--requests 20000] [--checks 1000000] [--micro-only] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../src/broker/broker.js';
import { AclAuthorizer } from '../src/broker/acl/acl-authorizer.js';
import { AclPermission, PatternType, type AclBinding } from '../src/broker/acl/acl.js';
import { AclOperation, AclResourceType } from '../src/broker/authorization.js';
import { createLogger } from '../src/broker/logger.js';
import { Connection } from '../src/client/connection.js';
import { ApiKey } from '../src/protocol/messages/index.js';
import { ZERO_UUID } from '../src/protocol/primitives/index.js';
import { encodeRecordBatchSync } from '../src/protocol/records/index.js';
import { parseFlags } from './lib.js';

const flags = parseFlags(process.argv.slice(2), { requests: 20000, checks: 1_000_000, json: false, microOnly: false });

/** 10,000 ACLs: per principal u0..u499, literal topic and group ACLs and prefixed topic ACLs. */
function tenThousand(): AclBinding[] {
  const out: AclBinding[] = [];
  const b = (resourceType: number, resourceName: string, patternType: number, principal: string, operation: number, permission: number = AclPermission.ALLOW): AclBinding => ({
    resourceType,
    resourceName,
    patternType,
    principal,
    host: '*',
    operation,
    permission,
  });
  for (let i = 0; out.length < 10_000; i++) {
    const u = `User:u${i % 500}`;
    out.push(b(AclResourceType.TOPIC, `topic-${i}`, PatternType.LITERAL, u, AclOperation.WRITE));
    out.push(b(AclResourceType.TOPIC, `topic-${i}`, PatternType.LITERAL, u, AclOperation.READ));
    out.push(b(AclResourceType.TOPIC, `${'p'.repeat(1 + (i % 40))}-${i}`, PatternType.PREFIXED, u, AclOperation.READ));
    out.push(b(AclResourceType.GROUP, `group-${i}`, PatternType.LITERAL, u, AclOperation.READ));
    out.push(b(AclResourceType.TRANSACTIONAL_ID, `tx-${i}`, PatternType.LITERAL, u, AclOperation.WRITE, i % 7 === 0 ? AclPermission.DENY : AclPermission.ALLOW));
  }
  return out.slice(0, 10_000);
}

function checkCost(a: AclAuthorizer, principal: string, topic: string, n: number): number {
  let ok = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (a.authorize(principal, AclOperation.WRITE, AclResourceType.TOPIC, topic, '127.0.0.1')) ok++;
  const ns = Number(process.hrtime.bigint() - t0) / n;
  if (ok !== n && ok !== 0) throw new Error('inconsistent answers');
  return ns;
}

async function perRequest(withAcls: boolean, n: number): Promise<{ produceUs: number; metadataUs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-acls-'));
  const options: Record<string, string> = { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir, 'auto.create.topics.enable': 'false' };
  if (withAcls) {
    options['authorizer.class.name'] = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';
    options['super.users'] = 'User:admin';
  }
  let next = 'User:admin';
  const broker = await Broker.start(options, { logger: createLogger('silent'), principalBuilder: () => next });
  try {
    const admin = await Connection.connect({ host: '127.0.0.1', port: broker.port });
    await admin.send(ApiKey.CreateTopics, { topics: [{ name: 'topic-7', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10000, validateOnly: false });
    if (withAcls) {
      const all = tenThousand();
      for (let i = 0; i < all.length; i += 1000) {
        const r = await admin.send(ApiKey.CreateAcls, {
          creations: all.slice(i, i + 1000).map((x) => ({ resourceType: x.resourceType, resourceName: x.resourceName, resourcePatternType: x.patternType, principal: x.principal, host: x.host, operation: x.operation, permissionType: x.permission })),
        });
        if (r.results.some((x) => x.errorCode !== 0)) throw new Error('CreateAcls failed');
      }
    }
    await admin.close();
    next = 'User:u7';
    const c = await Connection.connect({ host: '127.0.0.1', port: broker.port });
    const batch = encodeRecordBatchSync({ records: [{ value: Buffer.from('x'.repeat(100)) }] });
    const produce = () => c.send(ApiKey.Produce, { transactionalId: null, acks: 1, timeoutMs: 10000, topicData: [{ name: 'topic-7', topicId: ZERO_UUID, partitionData: [{ index: 0, records: batch }] }] }, { version: 12 });
    const metadata = () => c.send(ApiKey.Metadata, { topics: [{ name: 'topic-7', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const r0 = await produce();
    if (r0.responses[0]!.partitionResponses[0]!.errorCode !== 0) throw new Error(`produce refused: ${r0.responses[0]!.partitionResponses[0]!.errorCode}`);
    const time = async (f: () => Promise<unknown>): Promise<number> => {
      for (let i = 0; i < Math.min(2000, n); i++) await f();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await f();
      return Number(process.hrtime.bigint() - t0) / n / 1000;
    };
    const produceUs = await time(produce);
    const metadataUs = await time(metadata);
    await c.close();
    return { produceUs, metadataUs };
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const empty = new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: true });
const full = new AclAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, tenThousand());
const results = {
  acls: full.size,
  checkNsNoAcls: checkCost(empty, 'User:u7', 'topic-7', flags.checks),
  checkNs10kAllowed: checkCost(full, 'User:u7', 'topic-7', flags.checks),
  checkNs10kNoMatch: checkCost(full, 'User:u7', 'unnamed-topic', flags.checks),
  checkNs10kPrefixedName: checkCost(full, 'User:u7', `${'p'.repeat(40)}-x`, flags.checks),
  ...(flags.microOnly ? {} : await (async () => {
    // Alternate the order to spread drift; two rounds each.
    const none1 = await perRequest(false, flags.requests);
    const acl1 = await perRequest(true, flags.requests);
    const acl2 = await perRequest(true, flags.requests);
    const none2 = await perRequest(false, flags.requests);
    return {
      produceUsNoAuthorizer: (none1.produceUs + none2.produceUs) / 2,
      produceUs10kAcls: (acl1.produceUs + acl2.produceUs) / 2,
      metadataUsNoAuthorizer: (none1.metadataUs + none2.metadataUs) / 2,
      metadataUs10kAcls: (acl1.metadataUs + acl2.metadataUs) / 2,
    };
  })()),
};
if (flags.json) console.log(JSON.stringify(results));
else for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(26)} ${typeof v === 'number' ? v.toFixed(2) : v}`);
