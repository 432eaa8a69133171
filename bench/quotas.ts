/**
 * The cost of client quotas per request (issue 11): what a client pays when quotas are configured
 * for other clients only, against a broker with no quota at all, and what a client pays whose own
 * quota is measured (set high enough never to throttle it).
 *
 *  1. record(): the mean time of one ClientQuotaManager.record call, alone: no quota of the kind
 *     (the early return), 1,000 client-id quotas for others (the resolution, cached per client),
 *     and the client's own quota (the windowed rate updated and measured).
 *  2. Per request, through an in-process broker (one connection, requests one after another):
 *     Produce of a 1-record batch (acks=1) with no quotas, with producer_byte_rate set for 1,000
 *     other client ids and the users' default (not for this client's user... the bench's client has
 *     ANONYMOUS and a client id no quota names), and with this client's own quota of 1 GB/s.
 *
 *   node dist/bench/quotas.js [--requests 20000] [--records 2000000] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../src/broker/broker.js';
import { ClientQuotas } from '../src/broker/quota/client-quotas.js';
import { ClientQuotaManager } from '../src/broker/quota/manager.js';
import type { StoredClientQuota } from '../src/broker/quota/entity.js';
import { createLogger } from '../src/broker/logger.js';
import { Connection } from '../src/client/connection.js';
import { ApiKey } from '../src/protocol/messages/index.js';
import { ZERO_UUID } from '../src/protocol/primitives/index.js';
import { encodeRecordBatchSync } from '../src/protocol/records/index.js';
import { parseFlags } from './lib.js';

const flags = parseFlags(process.argv.slice(2), { requests: 20000, records: 2_000_000, json: false });

const others = (n: number): StoredClientQuota[] => Array.from({ length: n }, (_, i) => ({ entity: [{ type: 'client-id', name: `other-${i}` }], values: { producer_byte_rate: 1_000_000 } }));

function recordCost(stored: StoredClientQuota[], clientId: string, n: number): number {
  const m = new ClientQuotaManager('producer_byte_rate', new ClientQuotas(stored, { save: async () => undefined }), { samples: 11, windowMs: 1000 });
  let throttled = 0;
  let now = Date.now();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    if ((i & 1023) === 0) now = Date.now();
    if (m.record('ANONYMOUS', clientId, 200, now) > 0) throttled++;
  }
  const ns = Number(process.hrtime.bigint() - t0) / n;
  if (throttled > 0) throw new Error('a bench client was throttled');
  return ns;
}

type Setup = 'none' | 'others' | 'own';

async function perRequest(setup: Setup, n: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-quotas-'));
  const broker = await Broker.start({ listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir, 'auto.create.topics.enable': 'false' }, { logger: createLogger('silent') });
  try {
    const admin = await Connection.connect({ host: '127.0.0.1', port: broker.port, clientId: 'bench-admin' });
    await admin.send(ApiKey.CreateTopics, { topics: [{ name: 'q', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10000, validateOnly: false });
    const entries: Array<{ entity: Array<{ entityType: string; entityName: string | null }>; ops: Array<{ key: string; value: number; remove: boolean }> }> = [];
    const op = (value: number) => [{ key: 'producer_byte_rate', value, remove: false }];
    if (setup === 'others') {
      for (let i = 0; i < 1000; i++) entries.push({ entity: [{ entityType: 'client-id', entityName: `other-${i}` }], ops: op(1_000_000) });
      entries.push({ entity: [{ entityType: 'user', entityName: 'someone-else' }], ops: op(1_000_000) });
    }
    if (setup === 'own') entries.push({ entity: [{ entityType: 'client-id', entityName: 'bench' }], ops: op(1_000_000_000) });
    if (entries.length > 0) {
      const r = await admin.send(ApiKey.AlterClientQuotas, { entries, validateOnly: false });
      if (r.entries.some((e) => e.errorCode !== 0)) throw new Error('AlterClientQuotas failed');
    }
    await admin.close();
    const c = await Connection.connect({ host: '127.0.0.1', port: broker.port, clientId: 'bench' });
    const batch = encodeRecordBatchSync({ records: [{ value: Buffer.from('x'.repeat(100)) }] });
    const produce = () => c.send(ApiKey.Produce, { transactionalId: null, acks: 1, timeoutMs: 10000, topicData: [{ name: 'q', topicId: ZERO_UUID, partitionData: [{ index: 0, records: batch }] }] }, { version: 12 });
    for (let i = 0; i < Math.min(2000, n); i++) {
      const r = await produce();
      if (r.throttleTimeMs !== 0) throw new Error('the bench client was throttled');
    }
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await produce();
    const us = Number(process.hrtime.bigint() - t0) / n / 1000;
    await c.close();
    return us;
  } finally {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const results: Record<string, number> = {
  recordNsNoQuotas: recordCost([], 'bench', flags.records),
  recordNsOthers1000: recordCost(others(1000), 'bench', flags.records),
  recordNsOwnQuota: recordCost([{ entity: [{ type: 'client-id', name: 'bench' }], values: { producer_byte_rate: 1e12 } }], 'bench', flags.records),
};
// Interleaved rounds (none, others, own, own, others, none) to spread drift.
const rounds: Setup[] = ['none', 'others', 'own', 'own', 'others', 'none'];
const sums: Record<Setup, number[]> = { none: [], others: [], own: [] };
for (const s of rounds) sums[s].push(await perRequest(s, flags.requests));
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
results.produceUsNoQuotas = mean(sums.none);
results.produceUsOthers1000 = mean(sums.others);
results.produceUsOwnQuota = mean(sums.own);
if (flags.json) console.log(JSON.stringify(results));
else for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(22)} ${v.toFixed(2)}`);
