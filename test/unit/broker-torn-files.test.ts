// Torn and garbled tails of .log, .index, .timeindex and .snapshot files, made by hand while the
// broker is stopped: on the next start the broker detects each, truncates or rebuilds, logs one
// line naming the file and the action, and serves the rest (and appends after it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Broker } from '../../src/broker/broker.js';
import { ApiKey } from '../../src/protocol/messages/index.js';
import { decodeRecordSetSync } from '../../src/protocol/records/index.js';
import { CLEAN_SHUTDOWN_FILE } from '../../src/storage/checkpoint.js';
import { batch, capturingLogger, connect, createTopic, fetchRequest, produceRequest, startBroker, type TestBroker } from './helpers/broker-client.js';
import type { Connection } from '../../src/client/index.js';

const SEG = '00000000000000000000';
const N = 20;

type Damage = (dir: string) => Promise<void>;

/** What each topic's files suffer, and how many of its N records must still be served. */
const CASES: Record<string, { damage: Damage; file: string; action: RegExp; kept: number; clean: boolean }> = {
  'log-torn': { damage: async (d) => truncate(join(d, `${SEG}.log`), (await readFile(join(d, `${SEG}.log`))).length - 7), file: '.log', action: /truncated/, kept: N - 1, clean: true },
  'log-garbage': { damage: (d) => appendFile(join(d, `${SEG}.log`), Buffer.from('garbage after the last batch, written by hand')), file: '.log', action: /truncated/, kept: N, clean: true },
  'index-torn': { damage: async (d) => truncate(join(d, `${SEG}.index`), (await readFile(join(d, `${SEG}.index`))).length - 3), file: '.index', action: /rebuilt/, kept: N, clean: true },
  'index-garbled': {
    damage: async (d) => {
      const b = await readFile(join(d, `${SEG}.index`));
      b.fill(0xff, b.length - 8); // the last entry: negative offset and position
      await writeFile(join(d, `${SEG}.index`), b);
    },
    file: '.index',
    action: /rebuilt/,
    kept: N,
    clean: true,
  },
  'timeindex-torn': { damage: async (d) => truncate(join(d, `${SEG}.timeindex`), (await readFile(join(d, `${SEG}.timeindex`))).length - 5), file: '.timeindex', action: /rebuilt/, kept: N, clean: true },
  'timeindex-garbled': {
    damage: async (d) => {
      const b = await readFile(join(d, `${SEG}.timeindex`));
      b.fill(0x00, b.length - 12, b.length - 4); // the last entry's timestamp: 0, below the ones before it
      await writeFile(join(d, `${SEG}.timeindex`), b);
    },
    file: '.timeindex',
    action: /rebuilt/,
    kept: N,
    clean: true,
  },
  'snapshot-torn': { damage: async (d) => truncate(join(d, `000000000000000000${N}.snapshot`), 9), file: '.snapshot', action: /deleted/, kept: N, clean: true },
  'snapshot-garbled': {
    damage: async (d) => {
      const p = join(d, `000000000000000000${N}.snapshot`);
      const b = await readFile(p);
      b[b.length - 1]! ^= 0x5a;
      await writeFile(p, b);
    },
    file: '.snapshot',
    action: /deleted/,
    kept: N,
    clean: true,
  },
  // A flipped byte inside the last batch fails its CRC: found by the recovery scan after an unclean stop.
  'log-crc': {
    damage: async (d) => {
      const p = join(d, `${SEG}.log`);
      const b = await readFile(p);
      b[b.length - 3]! ^= 0x01;
      await writeFile(p, b);
    },
    file: '.log',
    action: /truncated/,
    kept: N - 1,
    clean: false,
  },
};

async function values(conn: Connection, topic: string): Promise<string[]> {
  const out: string[] = [];
  let offset = 0;
  for (;;) {
    const res = await conn.send(ApiKey.Fetch, fetchRequest({ topic, offset }), { version: 12 });
    const p = res.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0, topic);
    const batches = decodeRecordSetSync(p.records ?? Buffer.alloc(0));
    if (batches.length === 0) return out;
    for (const b of batches) for (const r of b.records) out.push(r.value!.toString());
    offset = batches.at(-1)!.header.baseOffset + batches.at(-1)!.header.lastOffsetDelta + 1;
  }
}

for (const clean of [true, false]) {
  test(`torn and garbled files after a ${clean ? 'clean' : 'unclean'} stop are detected, repaired, logged, and the rest is served`, async () => {
    const cases = Object.entries(CASES).filter(([, c]) => c.clean === clean);
    const { logger, lines } = capturingLogger('info');
    const tb: TestBroker = await startBroker({}, { logger });
    try {
      let conn = await connect(tb);
      for (const [name] of cases) {
        await createTopic(conn, name, 1, { 'index.interval.bytes': '64' });
        for (let i = 0; i < N; i++) {
          const res = await conn.send(ApiKey.Produce, produceRequest(name, 0, batch([`${name}-${i}-${'x'.repeat(40)}`]), -1), { version: 9 });
          assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
        }
      }
      await conn.close();
      await tb.broker.close();
      for (const [name, c] of cases) await c.damage(join(tb.dir, `${name}-0`));
      if (!clean) await rm(join(tb.dir, CLEAN_SHUTDOWN_FILE), { force: true });
      lines.length = 0;
      tb.broker = await Broker.start(tb.options, { logger });
      conn = await connect(tb);
      for (const [name, c] of cases) {
        const dir = join(tb.dir, `${name}-0`);
        const line = lines.find((l) => l.level === 40 && l.partition === `${name}-0` && String(l.file).startsWith(dir) && String(l.file).endsWith(c.file));
        assert.ok(line, `${name}: a warning naming its ${c.file} file; got ${JSON.stringify(lines.filter((l) => l.partition === `${name}-0`))}`);
        assert.match(String(line.action), c.action, name);
        assert.match(String(line.msg), new RegExp(`${c.file.replace('.', '\\.')} ${String(line.action)}: `), name);
        const got = await values(conn, name);
        assert.deepEqual(got, Array.from({ length: c.kept }, (_v, i) => `${name}-${i}-${'x'.repeat(40)}`), name);
        // Appends continue right after what was kept.
        const res = await conn.send(ApiKey.Produce, produceRequest(name, 0, batch(['next']), -1), { version: 9 });
        assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0, name);
        assert.equal(res.responses[0]!.partitionResponses[0]!.baseOffset, BigInt(c.kept), name);
      }
      await conn.close();
    } finally {
      await tb.close();
    }
  });
}
