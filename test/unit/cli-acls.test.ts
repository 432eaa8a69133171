// `tributary acls` (kafka-acls.sh) against the embedded broker with the StandardAuthorizer name and
// User:ANONYMOUS as super user (what Kafka's own broker needs to accept the ACL APIs over
// PLAINTEXT): AclCommand's output lines, the --producer/--consumer expansions, --principal
// filtering, --remove --force, and its usage errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { aclsCommand } from '../../src/cli/acls.js';
import { startBroker, type TestBroker } from './helpers/broker-client.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await aclsCommand(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('kafka-acls', () => {
  let tb: TestBroker;
  let B: string[];
  before(async () => {
    tb = await startBroker({ 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'super.users': 'User:ANONYMOUS' });
    B = ['--bootstrap-server', `127.0.0.1:${tb.broker.port}`];
  });
  after(async () => {
    await tb.close();
  });

  test('--add prints what it adds, then --list shows it; adding again says it exists', async () => {
    const add = await run(...B, '--add', '--allow-principal', 'User:alice', '--operation', 'Read', '--operation', 'Write', '--topic', 'orders');
    assert.deepEqual(add, {
      code: 0,
      out:
        'Adding ACLs for resource `ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)`: \n' +
        ' \t(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)\n' +
        '\t(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW)\n\n',
      err: '',
    });
    const list = await run(...B, '--list', '--topic', 'orders');
    assert.equal(
      list.out,
      'Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)`:\n' +
        '\t(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)\n' +
        '\t(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW)\n\n',
    );
    const again = await run(...B, '--add', '--allow-principal', 'User:alice', '--operation', 'Read', '--topic', 'orders');
    assert.equal(
      again.out,
      'Acl (pattern=ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL), entry=(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)) already exists.\n',
    );
  });

  test('--producer --idempotent and --consumer expand to Kafka\'s operations; --principal filters the list', async () => {
    assert.equal((await run(...B, '--add', '--allow-principal', 'User:bob', '--producer', '--idempotent', '--topic', 'p-', '--resource-pattern-type', 'prefixed')).code, 0);
    assert.equal((await run(...B, '--add', '--allow-principal', 'User:carol', '--consumer', '--topic', 'c', '--group', 'cg')).code, 0);
    const list = await run(...B, '--list', '--principal', 'User:bob');
    assert.equal(
      list.out,
      'ACLs for principal `User:bob`\n' +
        'Current ACLs for resource `ResourcePattern(resourceType=CLUSTER, name=kafka-cluster, patternType=LITERAL)`:\n' +
        '\t(principal=User:bob, host=*, operation=IDEMPOTENT_WRITE, permissionType=ALLOW)\n\n' +
        'Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=p-, patternType=PREFIXED)`:\n' +
        '\t(principal=User:bob, host=*, operation=CREATE, permissionType=ALLOW)\n' +
        '\t(principal=User:bob, host=*, operation=DESCRIBE, permissionType=ALLOW)\n' +
        '\t(principal=User:bob, host=*, operation=WRITE, permissionType=ALLOW)\n\n',
    );
    const carol = await run(...B, '--list', '--group', 'cg');
    assert.match(carol.out, /name=cg, patternType=LITERAL\)`:\n\t\(principal=User:carol, host=\*, operation=READ, permissionType=ALLOW\)\n\n$/);
  });

  test('--remove --force deletes; --deny-principal with --deny-host', async () => {
    assert.equal((await run(...B, '--add', '--deny-principal', 'User:eve', '--deny-host', '10.0.0.1', '--operation', 'All', '--topic', 'orders')).code, 0);
    assert.match((await run(...B, '--list', '--topic', 'orders')).out, /\(principal=User:eve, host=10\.0\.0\.1, operation=ALL, permissionType=DENY\)/);
    assert.equal((await run(...B, '--remove', '--force', '--topic', 'orders')).code, 0);
    assert.equal((await run(...B, '--list', '--topic', 'orders')).out, '');
  });

  test('usage errors as AclCommand words them', async () => {
    const cases: Array<[string[], string]> = [
      [['--list'], 'One of --bootstrap-server or --bootstrap-controller must be specified'],
      [[...B, '--add', '--list', '--topic', 't'], 'Command must include exactly one action: --list, --add, --remove. '],
      [[...B, '--add', '--topic', 't'], 'You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.'],
      [[...B, '--add', '--allow-principal', 'User:a'], 'You must provide at least one resource: --topic <topic> or --cluster or --group <group> or --delegation-token <Delegation Token ID>'],
      [[...B, '--add', '--allow-principal', 'User:a', '--topic', 't', '--resource-pattern-type', 'match'], "A '--resource-pattern-type' value of 'MATCH' is not valid when adding acls."],
      [[...B, '--add', '--allow-principal', 'User:a', '--group', 'g', '--operation', 'Write'], 'ResourceType GROUP only supports operations READ, DESCRIBE, DELETE, DESCRIBE_CONFIGS, ALTER_CONFIGS, ALL'],
      [[...B, '--add', '--producer', '--allow-principal', 'User:a', '--group', 'g'], 'With --producer you must specify a --topic'],
      [[...B, '--add', '--consumer', '--allow-principal', 'User:a', '--topic', 't'], 'With --consumer you must specify a --topic and a --group and no --cluster or --transactional-id option should be specified.'],
      [[...B, '--add', '--allow-principal', 'User:a', '--topic', 't', '--principal', 'User:a'], 'The --principal option is only available if --list is set'],
      [[...B, '--list', '--allow-principal', 'User:a'], 'Option "[list]" can\'t be used with option "[allow-principal]"'],
    ];
    for (const [argv, first] of cases) {
      const r = await run(...argv);
      assert.equal(r.code, 1, argv.join(' '));
      assert.equal(r.err.split('\n')[0], first, argv.join(' '));
    }
  });
});
