// SASL pieces without a broker: RFC 7677's SCRAM-SHA-256 example on both sides, the server's
// nonce and proof checks (CVE-2024-56128), PLAIN, Kafka's JAAS syntax, ssl.principal.mapping.rules,
// and hostile tokens (fuzz): only AuthenticationError, never a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ScramServer } from '../../src/broker/security/sasl/scram.js';
import { PlainServer } from '../../src/broker/security/sasl/plain.js';
import { AuthenticationError } from '../../src/broker/security/sasl/mechanism.js';
import { parseJaasConfig, plainUsers } from '../../src/util/jaas.js';
import { SaslSession } from '../../src/broker/security/sasl/session.js';
import { newCredential, saltedPassword, credentialFromSalted, type ScramCredential } from '../../src/protocol/sasl/scram-math.js';
import { ScramClient } from '../../src/client/sasl.js';
import { mapPrincipal, parseMappingRules, rfc2253 } from '../../src/broker/security/principal-mapping.js';

// RFC 7677 section 3.
const V = {
  user: 'user',
  password: 'pencil',
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
  iterations: 4096,
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};
const vectorCredential = (): ScramCredential => newCredential('SCRAM-SHA-256', V.password, V.iterations, V.salt);

test('RFC 7677: the client produces the example client-final message and checks the server signature', () => {
  const c = new ScramClient('SCRAM-SHA-256', V.user, V.password, V.clientNonce);
  assert.equal(c.first().toString(), V.clientFirst);
  assert.equal(c.next(Buffer.from(V.serverFirst))!.toString(), V.clientFinal);
  assert.equal(c.next(Buffer.from(V.serverFinal)), null);
});

test('RFC 7677: the server answers the example exchange and authenticates the user', () => {
  const s = new ScramServer('SCRAM-SHA-256', (u) => (u === 'user' ? vectorCredential() : undefined), () => V.serverNonce);
  const first = s.evaluate(Buffer.from(V.clientFirst));
  assert.equal(first.response.toString(), V.serverFirst);
  assert.equal(first.done, false);
  const final = s.evaluate(Buffer.from(V.clientFinal));
  assert.deepEqual({ response: final.response.toString(), done: final.done, user: final.user }, { response: V.serverFinal, done: true, user: 'user' });
});

test('a credential from the salted password (AlterUserScramCredentials) equals one from the password', () => {
  const salted = saltedPassword('SCRAM-SHA-512', 'secret', V.salt, 8192);
  const a = credentialFromSalted('SCRAM-SHA-512', V.salt, salted, 8192);
  const b = newCredential('SCRAM-SHA-512', 'secret', 8192, V.salt);
  assert.deepEqual(a, b);
});

test('SCRAM: a final message whose nonce is not the server nonce fails (CVE-2024-56128)', () => {
  for (const badNonce of [V.clientNonce, `${V.clientNonce}${V.serverNonce}x`, `x${V.serverNonce}`, '']) {
    const s = new ScramServer('SCRAM-SHA-256', () => vectorCredential(), () => V.serverNonce);
    s.evaluate(Buffer.from(V.clientFirst));
    const forged = V.clientFinal.replace(/r=[^,]*/, `r=${badNonce}`);
    assert.throws(() => s.evaluate(Buffer.from(forged)), (e: unknown) => e instanceof AuthenticationError && /nonce/.test(e.message));
  }
});

test('SCRAM: a wrong proof, an unknown user and a wrong password fail', () => {
  const s1 = new ScramServer('SCRAM-SHA-256', () => vectorCredential(), () => V.serverNonce);
  s1.evaluate(Buffer.from(V.clientFirst));
  assert.throws(() => s1.evaluate(Buffer.from(V.clientFinal.replace('p=dHzb', 'p=dHzc'))), AuthenticationError);
  const s2 = new ScramServer('SCRAM-SHA-256', () => undefined);
  assert.throws(() => s2.evaluate(Buffer.from(V.clientFirst)), /Invalid user credentials/);
  const s3 = new ScramServer('SCRAM-SHA-256', () => vectorCredential());
  const c = new ScramClient('SCRAM-SHA-256', 'user', 'not-pencil');
  const sf = s3.evaluate(c.first());
  assert.throws(() => s3.evaluate(c.next(sf.response)!), /Invalid client credentials/);
  // A server that does not know the password cannot forge the final message either.
  const c2 = new ScramClient('SCRAM-SHA-256', 'user', 'pencil', V.clientNonce);
  c2.next(Buffer.from(V.serverFirst));
  assert.throws(() => c2.next(Buffer.from('v=' + Buffer.alloc(32).toString('base64'))), /server signature/);
});

test('SCRAM: the client refuses a server nonce that does not extend its own', () => {
  const c = new ScramClient('SCRAM-SHA-256', 'user', 'pencil', V.clientNonce);
  assert.throws(() => c.next(Buffer.from('r=other,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')), /nonce/);
});

test('PLAIN: users from the JAAS config; wrong password, other authzid, malformed tokens fail', () => {
  const jaas = parseJaasConfig('org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice \\"quoted\\"";');
  assert.equal(jaas[0]!.loginModule, 'org.apache.kafka.common.security.plain.PlainLoginModule');
  assert.equal(jaas[0]!.options.get('username'), 'admin');
  const users = plainUsers(jaas);
  assert.deepEqual([...users], [['admin', 'admin-secret'], ['alice', 'alice "quoted"']]);
  const ok = new PlainServer(users).evaluate(Buffer.from('\u0000alice\u0000alice "quoted"'));
  assert.deepEqual({ done: ok.done, user: ok.user }, { done: true, user: 'alice' });
  assert.equal(new PlainServer(users).evaluate(Buffer.from('admin\u0000admin\u0000admin-secret')).user, 'admin');
  for (const bad of ['\u0000alice\u0000wrong', '\u0000nobody\u0000x', 'admin\u0000alice\u0000alice "quoted"', 'no-nuls', '\u0000\u0000pw', '\u0000alice\u0000', 'a\u0000b\u0000c\u0000d']) {
    assert.throws(() => new PlainServer(users).evaluate(Buffer.from(bad)), AuthenticationError, JSON.stringify(bad));
  }
  assert.throws(() => parseJaasConfig('PlainLoginModule required user_a="x"'), /must end/);
  assert.throws(() => parseJaasConfig('PlainLoginModule maybe;'), /control flag/);
  assert.throws(() => parseJaasConfig('X required a="unterminated;'), /unterminated/);
});

test('ssl.principal.mapping.rules: Kafka syntax, first match wins, L/U, DEFAULT, no match', () => {
  const rules = parseMappingRules('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U,DEFAULT');
  assert.equal(mapPrincipal(rules, 'CN=kafka-svc,OU=ServiceUsers,O=Unknown'), 'kafka-svc');
  assert.equal(mapPrincipal(rules, 'CN=Duke,OU=JavaSoft,O=Sun Microsystems,L=Santa Clara,ST=CA,C=US'), 'duke@javasoft');
  assert.equal(mapPrincipal(rules, 'O=x,cn=bob.b'), 'BOB.B');
  assert.equal(mapPrincipal(rules, 'O=nothing'), 'O=nothing');
  assert.equal(mapPrincipal(parseMappingRules('RULE:^CN=(.*)$/$1/'), 'O=x'), null);
  assert.equal(mapPrincipal(parseMappingRules(''), 'CN=a'), 'CN=a');
  assert.equal(mapPrincipal(parseMappingRules('RULE:^CN=([^,]*),O=a\\/b$/$1/'), 'CN=z,O=a/b'), 'z');
  assert.throws(() => parseMappingRules('RULE:broken'), /Invalid rule/);
  assert.equal(rfc2253('C=GB\nO=Acme, Inc\nCN=alice'), 'CN=alice,O=Acme\\, Inc,C=GB');
});

test('fuzz: hostile tokens into SCRAM, PLAIN and the session only ever fail as authentication errors', () => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pieces = ['n,,', 'y,,', 'p=x,,', 'n=', 'r=', 'c=', 'p=', 's=', 'i=', ',', '=', '=2C', '=3D', '=ZZ', 'user', '\u0000', 'biws', 'a=', 'm=', 't=tokenauth=true', '\uffff', 'ü'];
  const randomToken = (): Buffer => {
    if (rand(4) === 0) return randomBytes(rand(300));
    let s = '';
    for (let i = rand(12); i > 0; i--) s += pieces[rand(pieces.length)]!;
    return Buffer.from(s);
  };
  for (let i = 0; i < 5000; i++) {
    const mech = rand(3);
    const server = mech === 0 ? new PlainServer(new Map([['user', 'pencil']])) : new ScramServer(mech === 1 ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512', () => vectorCredential());
    for (let step = 0; step < 3; step++) {
      try {
        const first = step === 0 && rand(2) === 0 ? Buffer.from(`n,,n=user,r=${randomBytes(4).toString('hex')}`) : randomToken();
        server.evaluate(first);
      } catch (err) {
        assert.ok(err instanceof AuthenticationError, `unexpected ${String(err)}`);
        break;
      }
    }
  }
  // The session: handshakes with odd mechanism names and tokens out of order.
  for (let i = 0; i < 1000; i++) {
    const s = new SaslSession(
      { mechanisms: ['PLAIN', 'SCRAM-SHA-256'], plainUsers: new Map([['u', 'p']]), scramCredential: () => undefined, maxReceiveSize: 512, failedAuthenticationDelayMs: 0, maxReauthMs: 0 },
      () => undefined,
    );
    const mech = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', '', 'plain', 'GSSAPI'][rand(6)]!;
    if (s.handshake(mech, rand(2)) !== null) continue;
    try {
      s.evaluate(randomToken(), 0);
    } catch (err) {
      assert.ok(err instanceof AuthenticationError, `unexpected ${String(err)}`);
    }
  }
});
