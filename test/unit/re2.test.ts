// Subscription regexes as Kafka evaluates them: every pattern of test/fixtures/re2j/cases.json
// (recorded from RE2/J 1.8, the library Kafka 4.3.1 compiles SubscribedTopicRegex with) is accepted
// or refused as RE2/J does, with RE2/J's description, and matches exactly the names RE2/J matches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileRe2, MAX_INSTRUCTIONS, Re2SyntaxError } from '../../src/broker/coordinator/re2.js';
import { compileRegex, regexProblem } from '../../src/broker/coordinator/consumer.js';
import { repoRoot } from '../../tools/codegen/main.js';

interface Fixture {
  names: string[];
  cases: Array<[string, string | null, string?]>;
}

const fixture = JSON.parse(readFileSync(join(repoRoot(), 'test/fixtures/re2j/cases.json'), 'utf8')) as Fixture;

test('RE2/J accepts, refuses and matches every recorded pattern as compileRe2 does', () => {
  const problems: string[] = [];
  for (const [pattern, matches, description] of fixture.cases) {
    let got: string | null;
    try {
      const re = compileRe2(pattern);
      got = fixture.names.map((n) => (re.test(n) ? '1' : '0')).join('');
    } catch (err) {
      if (!(err instanceof Re2SyntaxError)) throw err;
      if (matches !== null) problems.push(`${JSON.stringify(pattern)}: refused (${err.description}), RE2/J accepts it`);
      else if (err.description !== description) problems.push(`${JSON.stringify(pattern)}: "${err.description}", RE2/J says "${description}"`);
      continue;
    }
    if (matches === null) problems.push(`${JSON.stringify(pattern)}: accepted, RE2/J says "${description}"`);
    else if (got !== matches) {
      const diff = fixture.names.filter((_n, i) => got![i] !== matches[i]).map((n) => `${JSON.stringify(n)} ${matches[fixture.names.indexOf(n)] === '1' ? 'should' : 'should not'} match`);
      problems.push(`${JSON.stringify(pattern)}: ${diff.join(', ')}`);
    }
  }
  assert.ok(fixture.cases.length > 1000);
  assert.deepEqual(problems, []);
});

test('what RE2/J cannot do in linear time or space is refused, not attempted', () => {
  assert.throws(() => compileRe2('((a{1000}){1000}){1000}'), (e: unknown) => e instanceof Re2SyntaxError && e.description === 'expression too large');
  assert.throws(() => compileRe2(`${'('.repeat(2000)}a${')'.repeat(2000)}`), (e: unknown) => e instanceof Re2SyntaxError && e.description === 'expression nests too deeply');
  assert.ok(MAX_INSTRUCTIONS >= 10_000);
  // Backtracking engines take exponential time here; an NFA does not.
  const t0 = Date.now();
  assert.equal(compileRe2('(x+x+)+y').test('x'.repeat(249)), false);
  assert.equal(compileRe2('(a|a)*b').test('a'.repeat(249)), false);
  assert.ok(Date.now() - t0 < 2000);
});

test('compileRegex and regexProblem: Kafka\'s description, null for what compiles', () => {
  assert.equal(compileRegex('orders-.*')!.test('orders-eu'), true);
  assert.equal(compileRegex('orders-.*')!.test('xorders-eu'), false, 'a whole-name match');
  assert.equal(compileRegex('(?=x)'), null);
  assert.equal(regexProblem('orders-.*'), null);
  assert.equal(regexProblem('(?=x)'), 'invalid or unsupported Perl syntax');
  assert.equal(regexProblem('a**'), 'invalid nested repetition operator');
  assert.equal(regexProblem('(a)\\1'), 'invalid escape sequence');
});
