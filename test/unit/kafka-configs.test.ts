// Config parity with Apache Kafka 4.3.1: the key table is what the generator makes of Kafka's docs;
// every documented key is accepted or refused with Kafka's range errors (from the table alone); and
// every config-parity case (tools/kafka-configs/cases.ts) gets from Tributary the answer Apache
// Kafka 4.3.1 gave (recorded by tools/kafka-configs/capture.ts), but for the differences below.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KAFKA_BROKER_KEYS, KAFKA_GROUP_KEYS, KAFKA_TOPIC_KEYS, type KafkaKey } from '../../src/broker/config/kafka-table.js';
import { BROKER_CONFIG_BY_NAME, GROUP_CONFIGS, TOPIC_CONFIG_BY_NAME } from '../../src/broker/config/defs.js';
import { checkValue, ConfigError, javaDoubleToString, javaHashSetString, validatorFor } from '../../src/broker/config/validate.js';
import { docsDir, renderTable, repoRoot, TABLE_FILE } from '../../tools/kafka-configs/generate.js';
import { answerOf, BROKER_OVERRIDES, configCases, SETUP } from '../../tools/kafka-configs/cases.js';
import { answersFile, sendCase, type AnswersFile } from '../../tools/kafka-configs/capture.js';
import { connect, startBroker, type TestBroker } from './helpers/broker-client.js';
import type { Connection } from '../../src/client/index.js';

test('the committed key table is what the generator makes of the committed Kafka docs', () => {
  assert.equal(readFileSync(join(repoRoot, TABLE_FILE), 'utf8'), renderTable(docsDir()));
  assert.equal(KAFKA_BROKER_KEYS.length, 343);
  assert.equal(KAFKA_TOPIC_KEYS.length, 33);
  assert.equal(KAFKA_GROUP_KEYS.length, 17);
});

test('every documented key is known, and its "Valid Values" text has a validator', () => {
  for (const k of KAFKA_BROKER_KEYS) {
    assert.ok(BROKER_CONFIG_BY_NAME.has(k.name), k.name);
    assert.doesNotThrow(() => validatorFor(k.name, k.type, k.validValues), k.name);
  }
  for (const k of KAFKA_TOPIC_KEYS) {
    assert.ok(TOPIC_CONFIG_BY_NAME.has(k.name), k.name);
    assert.doesNotThrow(() => validatorFor(k.name, k.type, k.validValues), k.name);
  }
  assert.deepEqual(GROUP_CONFIGS.map((g) => g.name), KAFKA_GROUP_KEYS.map((g) => g.name));
  assert.throws(() => validatorFor('x', 'int', 'some new text'), /unknown "Valid Values" text/);
  // The dynamic keys: Kafka's update modes, but for the listeners Tributary binds at startup.
  for (const k of KAFKA_BROKER_KEYS) {
    const dynamic = k.updateMode !== 'read-only' && k.name !== 'listeners' && k.name !== 'listener.security.protocol.map';
    assert.equal(BROKER_CONFIG_BY_NAME.get(k.name)!.dynamic === true, dynamic, k.name);
  }
});

/** Kafka's message for `value` outside a key's documented range, worked out from the table alone. */
function rangeCases(k: KafkaKey): Array<[string, string]> {
  const m = /^\[(-?[0-9.]+),\.\.\.(?:,(-?[0-9.]+))?\]( or (-?[0-9]+))?$/.exec(k.validValues);
  if (!m || k.type === 'double') return [];
  const [, lo, hi, , or] = m;
  const out: Array<[string, string]> = [];
  const below = (BigInt(lo!) - 1n).toString();
  const above = hi === undefined ? null : (BigInt(hi) + 1n).toString();
  if (or !== undefined) {
    const msg = `Value must be between ${lo} and ${hi} or equal to ${or}`;
    out.push([below, `Invalid value ${below} for configuration ${k.name}: ${msg}`], [above!, `Invalid value ${above} for configuration ${k.name}: ${msg}`]);
    return out;
  }
  const limit = k.type === 'int' ? 2n ** 31n : k.type === 'short' ? 2n ** 15n : 2n ** 63n;
  if (BigInt(below) >= -limit) out.push([below, `Invalid value ${below} for configuration ${k.name}: Value must be at least ${lo}`]);
  if (above !== null && BigInt(above) < limit) out.push([above, `Invalid value ${above} for configuration ${k.name}: Value must be no more than ${hi}`]);
  return out;
}

test("every documented range is Kafka's, with Kafka's message, at both ends", () => {
  let checked = 0;
  for (const k of [...KAFKA_BROKER_KEYS, ...KAFKA_TOPIC_KEYS, ...KAFKA_GROUP_KEYS]) {
    const m = /^\[(-?[0-9]+),/.exec(k.validValues);
    if (m && k.type !== 'double') assert.equal(checkValue(k, m[1]!), m[1], `${k.name}: its minimum is valid`);
    for (const [value, message] of rangeCases(k)) {
      assert.throws(() => checkValue(k, value), (e: unknown) => e instanceof ConfigError && e.message === message, `${k.name}=${value}`);
      checked++;
    }
  }
  assert.ok(checked > 200, `${checked} range checks`);
  const segment = TOPIC_CONFIG_BY_NAME.get('segment.bytes')!;
  assert.throws(() => checkValue(segment, '1000'), /^ConfigError: Invalid value 1000 for configuration segment.bytes: Value must be at least 1048576$/);
});

test("Java's parsing: integers, doubles and booleans as Integer.parseInt, Double.parseDouble and ConfigDef do", () => {
  const key = (name: string) => TOPIC_CONFIG_BY_NAME.get(name)!;
  assert.equal(checkValue(key('segment.bytes'), ' +2000000 '), '2000000');
  assert.throws(() => checkValue(key('segment.bytes'), '2e6'), /Invalid value 2e6 for configuration segment.bytes: Not a number of type INT/);
  assert.throws(() => checkValue(key('segment.bytes'), '3000000000'), /Not a number of type INT/);
  assert.throws(() => checkValue(key('flush.messages'), '9223372036854775808'), /Not a number of type LONG/);
  assert.equal(checkValue(key('min.cleanable.dirty.ratio'), '1e-1'), '0.1');
  assert.equal(checkValue(key('min.cleanable.dirty.ratio'), '.5'), '0.5');
  assert.equal(checkValue(key('min.cleanable.dirty.ratio'), '1f'), '1.0');
  assert.equal(checkValue(key('min.cleanable.dirty.ratio'), 'NaN'), 'NaN', 'NaN passes a range, as in Java');
  assert.throws(() => checkValue(key('min.cleanable.dirty.ratio'), '2'), /^ConfigError: Invalid value 2.0 for configuration min.cleanable.dirty.ratio: Value must be no more than 1$/);
  assert.equal(checkValue(key('preallocate'), ' TRUE '), 'true');
  assert.throws(() => checkValue(key('preallocate'), 'yes'), /Expected value to be either true or false/);
  assert.equal(checkValue(key('cleanup.policy'), 'compact , delete,compact'), 'compact,delete', 'duplicates dropped, as Kafka 4 does');
  assert.equal(checkValue(key('cleanup.policy'), ''), '', 'an empty cleanup.policy is allowed');
  assert.throws(() => checkValue(key('cleanup.policy'), 'compact,'), /^ConfigError: Configuration 'cleanup.policy' values must not be empty.$/);
  assert.deepEqual(
    ['1.0', '1.0E7', '1.0E-4', '0.001', '-2.5', '1.7976931348623157E308', '123456.789'].map((s) => javaDoubleToString(Number(s))),
    ['1.0', '1.0E7', '1.0E-4', '0.001', '-2.5', '1.7976931348623157E308', '123456.789'],
  );
});

test("a set of keys in a message is in a java.util.HashSet's order, as Kafka prints it", () => {
  assert.equal(javaHashSetString(['num.partitions', 'log.dirs', 'broker.id']), '[num.partitions, broker.id, log.dirs]');
  assert.equal(javaHashSetString(['log.dirs']), '[log.dirs]');
});

/**
 * Where Tributary answers differently from Apache Kafka 4.3.1, on purpose. Each maps a case to a
 * check of Tributary's answer.
 */
const DIFFERENCES: Record<string, { why: string; tributary: [number, string | null] }> = {
  'broker 1 set listeners=PLAINTEXT://:9092': {
    why: 'Tributary binds its listeners at startup and cannot change them while running (Kafka refuses this value for its KRaft controller listener)',
    tributary: [42, 'Cannot update these configs dynamically: [listeners]'],
  },
  'broker 1 alter listeners=PLAINTEXT://:9092': { why: 'as above', tributary: [42, 'Cannot update these configs dynamically: [listeners]'] },
  'broker 1 set listener.security.protocol.map=SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT': {
    why: 'as above (Kafka refuses this value because its controller listener is missing from the map)',
    tributary: [42, 'Cannot update these configs dynamically: [listener.security.protocol.map]'],
  },
  'broker 1 alter listener.security.protocol.map=SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT': {
    why: 'as above',
    tributary: [42, 'Cannot update these configs dynamically: [listener.security.protocol.map]'],
  },
  'broker 1 set min.insync.replicas=1': {
    why: "Kafka 4.3 refuses a broker-level min.insync.replicas while Eligible Leader Replicas are enabled; a single node has no ELR, and Tributary's min.insync.replicas keeps working as before",
    tributary: [0, null],
  },
  'broker 1 alter min.insync.replicas=1': { why: 'as above', tributary: [0, null] },
};

describe('config parity: the answers of Apache Kafka 4.3.1, case by case', () => {
  let tb: TestBroker;
  let conn: Connection;
  const recorded = JSON.parse(readFileSync(answersFile(), 'utf8')) as AnswersFile;
  before(async () => {
    tb = await startBroker(Object.fromEntries(BROKER_OVERRIDES));
    conn = await connect(tb);
    for (const r of SETUP) await sendCase(conn, r);
  });
  after(async () => {
    await conn.close();
    await tb.close();
  });

  test('the recorded answers are for these cases and this broker configuration', () => {
    assert.deepEqual(recorded.brokerOverrides, BROKER_OVERRIDES);
    assert.deepEqual(Object.keys(recorded.answers), configCases().map((c) => c.id));
  });

  test('every case gets the answer Kafka gave (code, message, and a describe’s values)', async () => {
    const mismatches: string[] = [];
    let cases = 0;
    for (const c of configCases()) {
      const got = answerOf(c.request.api, await sendCase(conn, c.request));
      cases++;
      const difference = DIFFERENCES[c.id];
      const want = difference ? difference.tributary : recorded.answers[c.id];
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${c.id}\n    kafka:     ${JSON.stringify(want)}\n    tributary: ${JSON.stringify(got)}`);
    }
    assert.ok(cases > 1500);
    assert.deepEqual(mismatches, []);
  });

  test('each known difference is still one (Kafka answered otherwise)', () => {
    for (const [id, d] of Object.entries(DIFFERENCES)) {
      assert.ok(recorded.answers[id], id);
      assert.notDeepEqual(recorded.answers[id], d.tributary, `${id}: ${d.why}`);
    }
  });
});
