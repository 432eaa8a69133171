// The error vocabulary: KafkaProtocolError is Kafka's error table as an exception, the client's
// own errors have stable string codes, and isRetriable is the one retry decision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  AdminError,
  ClientClosedError,
  ClientError,
  ConnectionClosedError,
  ConnectionError,
  ConnectionTimeoutError,
  IllegalStateError,
  KafkaProtocolError,
  ProtocolError,
  RequestAbortedError,
  RequestTimeoutError,
  ResponseTooLargeError,
  isRetriable,
} from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { CorruptRecordError } from '../../src/protocol/records/errors.js';
import { defaultReferenceDir, repoRoot } from '../../tools/codegen/main.js';

const tsv = join(defaultReferenceDir(), 'error-codes.tsv');

/** Kafka's error table as the reference has it: code -> name and retriable. */
function referenceTable(): Map<number, { name: string; retriable: boolean }> {
  const rows = readFileSync(tsv, 'utf8').split('\n').slice(1).filter((l) => l.trim() !== '');
  return new Map(
    rows.map((l) => {
      const [code, name, retriable] = l.split('\t');
      return [Number(code), { name: name!, retriable: retriable === 'yes' }];
    }),
  );
}

test('KafkaProtocolError carries the code, name and retriable of a few codes', () => {
  const cases: Array<[number, string, boolean]> = [
    [ErrorCode.NOT_LEADER_OR_FOLLOWER, 'NOT_LEADER_OR_FOLLOWER', true],
    [ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'TOPIC_AUTHORIZATION_FAILED', false],
    [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'COORDINATOR_LOAD_IN_PROGRESS', true],
    [ErrorCode.REBALANCE_IN_PROGRESS, 'REBALANCE_IN_PROGRESS', false],
    [ErrorCode.OFFSET_OUT_OF_RANGE, 'OFFSET_OUT_OF_RANGE', false],
    [ErrorCode.REQUEST_TIMED_OUT, 'REQUEST_TIMED_OUT', true],
  ];
  for (const [code, name, retriable] of cases) {
    const e = new KafkaProtocolError(code, 'context');
    assert.equal(e.code, code);
    assert.equal(e.errorName, name);
    assert.equal(e.retriable, retriable, name);
    assert.equal(e.message, 'context');
    assert.equal(e.name, 'KafkaProtocolError');
    assert.ok(e instanceof Error);
  }
  assert.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER, 6);
  assert.equal(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 29);
  // Without a message: Kafka's description of the code.
  assert.equal(new KafkaProtocolError(ErrorCode.NOT_COORDINATOR).message, 'This is not the correct coordinator.');
  // A code Kafka does not define keeps its number, with UNKNOWN_SERVER_ERROR's name, not retriable.
  const unknown = new KafkaProtocolError(9999);
  assert.equal(unknown.code, 9999);
  assert.equal(unknown.errorName, 'UNKNOWN_SERVER_ERROR');
  assert.equal(unknown.retriable, false);
});

test("every code of Kafka's error table: KafkaProtocolError and isRetriable agree with the table", { skip: !existsSync(tsv) && `no ${tsv}` }, () => {
  const table = referenceTable();
  assert.ok(table.size > 100);
  for (const [code, row] of table) {
    const e = new KafkaProtocolError(code);
    assert.equal(e.errorName, row.name);
    assert.equal(e.retriable, row.retriable, row.name);
    assert.equal(isRetriable(code), row.retriable, row.name);
    assert.equal(isRetriable(e), row.retriable, row.name);
    assert.equal(ErrorCode[row.name as keyof typeof ErrorCode], code);
  }
});

test('isRetriable: Kafka codes and errors by the table, client errors by their flag, anything else no', () => {
  assert.equal(isRetriable(ErrorCode.NOT_LEADER_OR_FOLLOWER), true);
  assert.equal(isRetriable(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION), true);
  assert.equal(isRetriable(ErrorCode.NOT_COORDINATOR), true);
  assert.equal(isRetriable(ErrorCode.COORDINATOR_NOT_AVAILABLE), true);
  assert.equal(isRetriable(ErrorCode.TOPIC_AUTHORIZATION_FAILED), false);
  assert.equal(isRetriable(ErrorCode.MESSAGE_TOO_LARGE), false);
  assert.equal(isRetriable(ErrorCode.NONE), false);
  assert.equal(isRetriable(12345), false);
  assert.equal(isRetriable(new KafkaProtocolError(ErrorCode.LEADER_NOT_AVAILABLE)), true);
  assert.equal(isRetriable(new KafkaProtocolError(ErrorCode.INVALID_PRODUCER_EPOCH)), false);

  const client: Array<[ClientError, string, string | null, boolean]> = [
    [new ConnectionError('x'), 'TRIBUTARY_CONNECTION_FAILED', 'NETWORK_EXCEPTION', true],
    [new ConnectionTimeoutError('x'), 'TRIBUTARY_CONNECTION_TIMEOUT', 'NETWORK_EXCEPTION', true],
    [new ConnectionClosedError('x'), 'TRIBUTARY_CONNECTION_CLOSED', 'NETWORK_EXCEPTION', true],
    [new RequestTimeoutError('x'), 'TRIBUTARY_REQUEST_TIMEOUT', 'REQUEST_TIMED_OUT', true],
    [new RequestAbortedError('x'), 'TRIBUTARY_REQUEST_ABORTED', null, false],
    [new ResponseTooLargeError('x'), 'TRIBUTARY_RESPONSE_TOO_LARGE', null, false],
    [new ProtocolError('x'), 'TRIBUTARY_PROTOCOL', null, false],
    [new ClientClosedError('x'), 'TRIBUTARY_CLIENT_CLOSED', null, false],
    [new IllegalStateError('x'), 'TRIBUTARY_ILLEGAL_STATE', null, false],
  ];
  for (const [e, code, errorName, retriable] of client) {
    assert.ok(e instanceof ClientError && e instanceof Error, e.name);
    assert.equal(e.code, code);
    assert.equal(e.errorName, errorName, e.name);
    assert.equal(e.retriable, retriable, e.name);
    assert.equal(isRetriable(e), retriable, e.name);
  }

  const kafkaError = new KafkaProtocolError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(isRetriable(new AdminError('createTopics', [{ resource: 't', error: kafkaError }])), false);
  assert.equal(isRetriable(new CorruptRecordError('bad crc', 0)), false);
  assert.equal(isRetriable(new Error('boom')), false);
  assert.equal(isRetriable(new RangeError('bad option')), false);
  assert.equal(isRetriable({ retriable: true }), false);
  assert.equal(isRetriable(null), false);
  assert.equal(isRetriable(undefined), false);
  assert.equal(isRetriable('NOT_LEADER_OR_FOLLOWER'), false);
});

test('no hard-coded Kafka error numbers in src/client and src/protocol (ErrorCode names instead)', () => {
  const root = repoRoot();
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
    });
  const generated = (rel: string): boolean => rel === 'src/protocol/errors.ts' || rel.startsWith('src/protocol/messages/');
  const patterns = [
    /\berrorCode\s*[!=]==?\s*-?\d/, // p.errorCode === 6
    /-?\d+\s*[!=]==?\s*[\w.]*errorCode\b/, // 6 === p.errorCode
    /\berrorCode\s*:\s*-?\d/, // { errorCode: 6 }
    /new KafkaProtocolError\(\s*-?\d/, // new KafkaProtocolError(6)
    /\b(?:errorInfo|isRetriable)\(\s*-?\d/, // errorInfo(6)
  ];
  const problems: string[] = [];
  for (const file of [...files(join(root, 'src/client')), ...files(join(root, 'src/protocol'))]) {
    const rel = relative(root, file);
    if (generated(rel)) continue;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (patterns.some((re) => re.test(line))) problems.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(problems, []);
});
