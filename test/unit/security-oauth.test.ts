// OAUTHBEARER without a broker: the RFC 7628 client response, Kafka's unsecured JWS validator,
// signed JWTs against a JWKS (RS256, PS256, ES256, ES384, EdDSA; expired, wrong aud/iss, bad
// signature, unknown kid, alg none or HS256, malformed base64, huge tokens), the SASL server's
// JSON error exchange, JWKS sources (a file that changes, an HTTP endpoint that rotates keys),
// Kafka's allowed-URL property, the client's unsecured tokens from a JAAS line, and fuzzing of
// every parser (fast-check): only the errors they declare, never a crash.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { encodeClientResponse, parseClientResponse, OAuthBearerFormatError, errorResponse } from '../../src/protocol/sasl/oauthbearer.js';
import { parseCompactJws, JwsFormatError, encodeUnsignedJws } from '../../src/protocol/jose/jws.js';
import { parseJwks } from '../../src/protocol/jose/jwk.js';
import { UnsecuredValidator, unsecuredValidatorOptions } from '../../src/broker/security/oauth/unsecured.js';
import { JwtValidator, type JwtValidatorOptions } from '../../src/broker/security/oauth/jwt.js';
import { FileJwks, HttpJwks, type JwksSource } from '../../src/broker/security/oauth/jwks-source.js';
import { httpGetText } from '../../src/broker/network/http-get.js';
import { TokenValidationError } from '../../src/broker/security/oauth/token.js';
import { checkAllowed, systemPropertiesOf, ALLOWED_URLS } from '../../src/broker/security/oauth/allowed.js';
import { OAuthBearerServer } from '../../src/broker/security/sasl/oauthbearer.js';
import { AuthenticationError } from '../../src/broker/security/sasl/mechanism.js';
import { OAuthBearerClient, unsecuredLoginFromJaas, unsecuredToken } from '../../src/client/oauthbearer.js';
import { parseJaasConfig } from '../../src/util/jaas.js';
import { securityOptions } from '../../src/cli/security-props.js';
import { createLogger } from '../../src/broker/logger.js';
import { claimsFor, jwks, signJwt, testKey } from './helpers/jwt.js';

const NOW = 1_800_000_000_000;
const log = createLogger('silent');
const defaults = unsecuredValidatorOptions(new Map());
const unsigned = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'none' }): string => encodeUnsignedJws(header as never, claims as never);
const refused = (fn: () => unknown, re: RegExp, status = 'invalid_token'): void => {
  assert.throws(fn, (e: unknown) => e instanceof TokenValidationError && e.status === status && re.test(e.message));
};

describe('the RFC 7628 client response', () => {
  test('encodes and parses a token with extensions; Kafka\'s layout byte for byte', () => {
    const b = encodeClientResponse('abc.def.ghi', new Map([['traceId', '123'], ['logicalCluster', 'lkc-1']]));
    assert.equal(b.toString(), 'n,,\x01auth=Bearer abc.def.ghi\x01traceId=123\x01logicalCluster=lkc-1\x01\x01');
    const p = parseClientResponse(b);
    assert.equal(p.token, 'abc.def.ghi');
    assert.equal(p.authorizationId, '');
    assert.deepEqual([...p.extensions], [['traceId', '123'], ['logicalCluster', 'lkc-1']]);
    assert.equal(parseClientResponse(Buffer.from('n,a=alice,\x01auth=bearer t0k3n==\x01\x01')).authorizationId, 'alice');
  });

  test('refuses what Kafka refuses', () => {
    for (const bad of [
      '',
      'y,,\x01auth=Bearer t\x01\x01',
      'n,,\x01\x01',
      'n,,\x01auth=Basic dXNlcg==\x01\x01',
      'n,,\x01auth=Bearer a b\x01\x01',
      'n,,\x01auth=Bearer t\x01',
      'n,,\x01auth=Bearer t\x01k1=v\x01\x01',
      'n,,\x01auth=Bearer t\x01=v\x01\x01',
      'n,,auth=Bearer t\x01\x01',
      'n,a=x,y,\x01auth=Bearer t\x01\x01',
    ]) {
      assert.throws(() => parseClientResponse(Buffer.from(bad)), OAuthBearerFormatError, JSON.stringify(bad));
    }
    assert.throws(() => encodeClientResponse('t', new Map([['auth', 'x']])), /auth is invalid/);
    assert.throws(() => encodeClientResponse('t', new Map([['k1', 'x']])), /k1 is invalid/);
    assert.throws(() => encodeClientResponse('has space'), OAuthBearerFormatError);
  });

  test('the JSON error is Kafka\'s', () => {
    assert.equal(errorResponse('invalid_token'), '{"status":"invalid_token"}');
    assert.equal(errorResponse('insufficient_scope', '[a, b]'), '{"status":"insufficient_scope","scope":"[a, b]"}');
  });

  test('fuzz: any bytes parse or fail with OAuthBearerFormatError; encode then parse is the identity', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          parseClientResponse(Buffer.from(bytes));
        } catch (e) {
          assert.ok(e instanceof OAuthBearerFormatError, String(e));
        }
      }),
      { numRuns: 2000 },
    );
    const key = fc.stringMatching(/^[A-Za-z]{1,8}$/).filter((k) => k !== 'auth');
    const value = fc.stringMatching(/^[\x21-\x7e]{1,20}$/);
    fc.assert(
      fc.property(fc.stringMatching(/^[-_~+/.a-zA-Z0-9]{1,60}=*$/), fc.dictionary(key, value, { maxKeys: 4 }), (token, ext) => {
        const p = parseClientResponse(encodeClientResponse(token, new Map(Object.entries(ext))));
        assert.equal(p.token, token);
        assert.deepEqual([...p.extensions], Object.entries(ext));
      }),
    );
  });
});

describe('JWS compact serialization', () => {
  test('malformed base64, non-object JSON and the wrong number of parts are JwsFormatError', () => {
    const ok = unsigned({ sub: 'a' });
    assert.deepEqual(parseCompactJws(ok).claims, { sub: 'a' });
    for (const bad of ['a.b', 'a.b.c.d', '!!!.e30.', 'e30.e30x.', 'e30.W10.', 'e30.bnVsbA.', 'e30.e30.a', `e30.${Buffer.from('{"a":').toString('base64url')}.`, 'e30=.e30.', '.e30.']) {
      assert.throws(() => parseCompactJws(bad), JwsFormatError, bad);
    }
  });
});

describe('the unsecured validator (Kafka\'s default, development only)', () => {
  const v = new UnsecuredValidator(defaults);
  const base = { sub: 'alice', iat: NOW / 1000 - 10, exp: NOW / 1000 + 3600 };

  test('accepts an unsecured JWS: principal, expiry, scope', () => {
    const t = v.validate(unsigned({ ...base, scope: ['read', ' write ', ''] }), NOW);
    assert.deepEqual({ principal: t.principal, expiresAtMs: t.expiresAtMs, scope: [...t.scope] }, { principal: 'alice', expiresAtMs: NOW + 3_600_000, scope: ['read', 'write'] });
    assert.deepEqual([...v.validate(unsigned({ ...base, scope: 'a b' }), NOW).scope], ['a b'], 'a string scope is one element, as in Kafka');
  });

  test('refuses signed or oddly built tokens, missing claims and bad times', () => {
    refused(() => v.validate(unsigned(base, { alg: 'HS256' }), NOW), /'none'/);
    refused(() => v.validate(unsigned(base, {}), NOW), /Algorithm/);
    refused(() => v.validate(unsigned(base) + 'c2ln', NOW), /digital signature/);
    refused(() => v.validate('e30..', NOW), /'\.\.'/);
    refused(() => v.validate(unsigned({ sub: 'alice' }), NOW), /No expiration time/);
    refused(() => v.validate(unsigned({ ...base, exp: 'soon' }), NOW), /not of type Number/);
    refused(() => v.validate(unsigned({ ...base, sub: undefined }), NOW), /Required claim missing: sub/);
    refused(() => v.validate(unsigned({ ...base, sub: 42 }), NOW), /incorrect type/);
    refused(() => v.validate(unsigned({ ...base, sub: '  ' }), NOW), /No principal name/);
    refused(() => v.validate(unsigned({ ...base, exp: NOW / 1000 }), NOW), /Expiration Time/);
    refused(() => v.validate(unsigned({ ...base, iat: NOW / 1000 + 5 }), NOW), /Issued At/);
    refused(() => v.validate(unsigned({ ...base, iat: base.exp }), NOW), /Issued At|not after/);
    // Fractional seconds compare unrounded, as Kafka's 1000 * value does.
    refused(() => v.validate(unsigned({ ...base, iat: (NOW + 0.4) / 1000 }), NOW), /Issued At/);
    assert.equal(v.validate(unsigned({ ...base, iat: (NOW - 0.4) / 1000 }), NOW).issuedAtMs, NOW);
    refused(() => v.validate('not-base64!.e30.', NOW), /Base64/);
  });

  test('JAAS options: principal and scope claim names, required scope (insufficient_scope), clock skew', () => {
    const o = unsecuredValidatorOptions(
      parseJaasConfig('org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredValidatorPrincipalClaimName="email" unsecuredValidatorScopeClaimName="scp" unsecuredValidatorRequiredScope="kafka admin" unsecuredValidatorAllowableClockSkewMs="2000";')[0]!.options,
    );
    const sv = new UnsecuredValidator(o);
    assert.equal(sv.validate(unsigned({ email: 'a@x', exp: NOW / 1000 - 1, scp: ['kafka', 'admin'] }), NOW).principal, 'a@x', 'skew lets a just-expired token in');
    refused(() => sv.validate(unsigned({ email: 'a@x', exp: NOW / 1000 + 60, scp: ['kafka'] }), NOW), /missing a required scope \(admin\)/, 'insufficient_scope');
    try {
      sv.validate(unsigned({ email: 'a@x', exp: NOW / 1000 + 60, scp: 'kafka' }), NOW);
    } catch (e) {
      assert.equal((e as TokenValidationError).scope, '[kafka, admin]');
    }
    assert.throws(() => unsecuredValidatorOptions(new Map([['unsecuredValidatorAllowableClockSkewMs', '-1']])), /non-negative/);
    assert.throws(() => unsecuredValidatorOptions(new Map([['unsecuredValidatorRequiredScope', 'a "b"']])), /Invalid scope value/);
  });

  test('a huge token fails fast and cleanly', () => {
    const big = unsigned({ ...base, pad: 'x'.repeat(600_000) });
    assert.equal(v.validate(big, NOW).principal, 'alice');
    const start = Date.now();
    refused(() => v.validate('A'.repeat(2_000_000), NOW), /3 dot-separated/);
    refused(() => v.validate(`e30.${'['.repeat(200_000)}.`, NOW), /Base64|JSON/);
    refused(() => v.validate(`e30.${Buffer.from('['.repeat(200_000)).toString('base64url')}.`, NOW), /JSON|Algorithm/);
    assert.ok(Date.now() - start < 2000);
  });
});

const staticJwks = (text: string): JwksSource & { unknown: string[] } => {
  const keys = parseJwks(text).keys;
  const unknown: string[] = [];
  return { keys: () => keys, unknownKid: (k) => void unknown.push(k), location: 'test', close: () => undefined, unknown };
};
const jwtOptions: JwtValidatorOptions = { expectedAudience: ['kafka'], expectedIssuer: 'https://issuer.test', subClaimName: 'sub', scopeClaimName: 'scope', clockSkewSeconds: 30 };

describe('signed JWTs against a JWKS (OAuthBearerValidatorCallbackHandler)', () => {
  const rs = testKey('RS256', 'rs-1');
  const es = testKey('ES256', 'es-1');
  const es384 = testKey('ES384', 'es-384');
  const ps = testKey('PS256', 'ps-1');
  const ed = testKey('EdDSA', 'ed-1');
  const other = testKey('RS256', 'rs-1');
  const source = staticJwks(jwks(rs, es, es384, ps, ed));
  const v = new JwtValidator(jwtOptions, source);

  test('RS256, PS256, ES256, ES384 and EdDSA tokens verify; principal, expiry and scope come from the claims', () => {
    for (const k of [rs, ps, es, es384, ed]) {
      const t = v.validate(signJwt(k, claimsFor('alice', NOW, { scope: ['read', 'write'] })), NOW);
      assert.equal(t.principal, 'alice', k.alg);
      assert.equal(t.expiresAtMs, (Math.floor(NOW / 1000) + 3600) * 1000);
      assert.deepEqual([...t.scope], ['read', 'write']);
    }
    assert.equal(v.validate(signJwt(rs, claimsFor('bob', NOW, { aud: ['other', 'kafka'] })), NOW).principal, 'bob', 'one of the audiences');
  });

  test('refuses expired, not yet valid, wrong audience or issuer, missing exp/iat', () => {
    refused(() => v.validate(signJwt(rs, claimsFor('a', NOW, { iat: NOW / 1000 - 100, exp: NOW / 1000 - 31 })), NOW), /no longer valid/);
    assert.equal(v.validate(signJwt(rs, claimsFor('a', NOW, { iat: NOW / 1000 - 100, exp: NOW / 1000 - 29 })), NOW).principal, 'a', 'within clock skew');
    refused(() => v.validate(signJwt(rs, claimsFor('a', NOW, { nbf: NOW / 1000 + 60 })), NOW), /not yet valid/);
    refused(() => v.validate(signJwt(rs, claimsFor('a', NOW, { aud: 'billing' })), NOW), /Audience/);
    refused(() => v.validate(signJwt(rs, claimsFor('a', NOW, { aud: undefined })), NOW), /No Audience/);
    refused(() => v.validate(signJwt(rs, claimsFor('a', NOW, { iss: 'https://evil.test' })), NOW), /Issuer/);
    refused(() => v.validate(signJwt(rs, claimsFor('a', NOW, { exp: undefined })), NOW), /Expiration/);
    refused(() => v.validate(signJwt(rs, claimsFor('a', NOW, { iat: undefined })), NOW), /Issued At/);
    refused(() => v.validate(signJwt(rs, claimsFor('a', NOW, { iat: NOW / 1000 + 4000 })), NOW), /cannot be before the Issued At/);
    assert.equal(v.validate(signJwt(rs, claimsFor('a', NOW, { iat: NOW / 1000 + 600 })), NOW).principal, 'a', 'an iat in the future is accepted (jose4j)');
    refused(() => v.validate(signJwt(rs, claimsFor('a', NOW, { sub: undefined })), NOW), /sub value must be non-null/);
    refused(() => v.validate(signJwt(rs, claimsFor('a', NOW, { scope: ['x', 'x'] })), NOW), /duplicates/);
  });

  test('refuses bad signatures, unknown kids (asking for a refresh), alg none and HS256', () => {
    const good = signJwt(rs, claimsFor('alice', NOW));
    const [h, , s] = good.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify(claimsFor('admin', NOW))).toString('base64url')}.${s}`;
    refused(() => v.validate(forged, NOW), /signature is invalid/);
    refused(() => v.validate(signJwt(other, claimsFor('alice', NOW)), NOW), /signature is invalid/); // same kid, another key
    refused(() => v.validate(signJwt(rs, claimsFor('alice', NOW), { kid: 'rotated-2' }), NOW), /suitable verification key/);
    assert.deepEqual(source.unknown, ['rotated-2']);
    refused(() => v.validate(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${good.split('.')[1]}.`, NOW), /"none" is not allowed/);
    refused(() => v.validate(signJwt(rs, claimsFor('alice', NOW), { alg: 'HS256' }), NOW), /"HS256" is not allowed/);
    refused(() => v.validate(signJwt(es, claimsFor('alice', NOW), { alg: 'RS256' }), NOW), /suitable verification key/); // an EC key never verifies RS256
    refused(() => v.validate(`${h}.${good.split('.')[1]}.${s!.slice(0, -4)}`, NOW), /signature is invalid|Base64/);
    refused(() => v.validate(`${h}.***.${s}`, NOW), /Base64/);
    refused(() => v.validate(signJwt(rs, claimsFor('alice', NOW), { crit: ['exp'] }), NOW), /crit/);
  });

  test('without a kid any key of the algorithm\'s type may verify', () => {
    assert.equal(v.validate(signJwt(es, claimsFor('carol', NOW), { kid: undefined }), NOW).principal, 'carol');
  });

  test('without an expected audience a token that carries one is refused (jose4j\'s default); other claim names', () => {
    const loose = new JwtValidator({ ...jwtOptions, expectedAudience: [], expectedIssuer: null, subClaimName: 'client_id', scopeClaimName: 'scp' }, source);
    refused(() => loose.validate(signJwt(rs, claimsFor('a', NOW)), NOW), /no expected audience/);
    const t = loose.validate(signJwt(rs, { ...claimsFor('a', NOW, { aud: undefined, iss: 'anyone' }), client_id: ' svc-1 ', scp: 'produce' }), NOW);
    assert.deepEqual({ p: t.principal, s: [...t.scope] }, { p: 'svc-1', s: ['produce'] });
  });

  test('fuzz: arbitrary strings and mangled real tokens only ever give TokenValidationError', () => {
    const good = signJwt(es, claimsFor('alice', NOW));
    const check = (s: string): void => {
      try {
        v.validate(s, NOW);
        new UnsecuredValidator(defaults).validate(s, NOW);
      } catch (e) {
        assert.ok(e instanceof TokenValidationError, String(e));
      }
    };
    fc.assert(fc.property(fc.string({ maxLength: 400 }), check), { numRuns: 1000 });
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.string({ minLength: 0, maxLength: 5 }), fc.nat(6), (at, insert, cut) => {
        check(good.slice(0, at) + insert + good.slice(at + cut));
      }),
      { numRuns: 1000 },
    );
    const part = fc.oneof(fc.json().map((j) => Buffer.from(j).toString('base64url')), fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/));
    fc.assert(fc.property(part, part, part, (a, b, c) => check(`${a}.${b}.${c}`)), { numRuns: 1000 });
  });

  test('JWKS documents: keys that cannot verify are skipped, garbage is an error', () => {
    const r = parseJwks(JSON.stringify({ keys: [rs.jwk, { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' }, { kty: 'RSA', n: '!!', e: 'AQAB', kid: 'broken' }, 7] }));
    assert.deepEqual(r.keys.map((k) => k.kid), ['rs-1']);
    assert.deepEqual(r.skipped, ['hmac', 'broken', '(not an object)']);
    assert.throws(() => parseJwks('{'), /not valid JSON/);
    assert.throws(() => parseJwks('{"keys":{}}'), /no "keys"/);
    fc.assert(
      fc.property(fc.json(), (j) => {
        try {
          parseJwks(j);
        } catch (e) {
          assert.match((e as Error).message, /JWKS/);
        }
      }),
    );
  });
});

describe('the OAUTHBEARER SASL server', () => {
  const v = new UnsecuredValidator(defaults);
  const token = (sub: string, exp = NOW / 1000 + 60): Buffer => encodeClientResponse(unsigned({ sub, exp }));

  test('a valid token logs in as its principal until exp', () => {
    const s = new OAuthBearerServer(v);
    assert.deepEqual(s.evaluate(token('alice'), NOW), { response: Buffer.alloc(0), done: true, user: 'alice', expiresAtMs: NOW + 60_000 });
  });

  test('a refused token: the JSON error as a challenge, then 0x01 fails the login with it', () => {
    const s = new OAuthBearerServer(v);
    const r = s.evaluate(token('alice', NOW / 1000 - 1), NOW);
    assert.deepEqual({ response: r.response.toString(), done: r.done }, { response: '{"status":"invalid_token"}', done: false });
    const client = new OAuthBearerClient(Buffer.alloc(0));
    assert.throws(
      () => s.evaluate(client.next(r.response)!, NOW),
      (e: unknown) => e instanceof AuthenticationError && e.message === '{"status":"invalid_token"}' && !e.generic && /Expiration Time/.test(e.detail ?? ''),
    );
  });

  test('a malformed message and a foreign authorization id fail', () => {
    assert.throws(() => new OAuthBearerServer(v).evaluate(Buffer.from('n,,auth'), NOW), (e: unknown) => e instanceof AuthenticationError && e.generic);
    const withAuthz = Buffer.from(token('alice').toString().replace('n,,', 'n,a=bob,'));
    assert.throws(() => new OAuthBearerServer(v).evaluate(withAuthz, NOW), /authorization id \(bob\)/);
    assert.equal(new OAuthBearerServer(v).evaluate(Buffer.from(token('bob').toString().replace('n,,', 'n,a=bob,')), NOW).user, 'bob');
  });
});

describe('the client\'s tokens', () => {
  test('Kafka\'s unsecured login module line makes tokens Kafka\'s unsecured validator accepts', () => {
    const jaas = parseJaasConfig('org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="alice" unsecuredLoginListClaim_scope=",read,write" unsecuredLoginNumberClaim_level="3" unsecuredLoginLifetimeSeconds="120" unsecuredLoginExtension_traceId="42";')[0]!.options;
    const login = unsecuredLoginFromJaas(jaas);
    assert.deepEqual(login.extensions, { traceId: '42' });
    const tok = login.token();
    const now = Date.now();
    const t = new UnsecuredValidator(defaults).validate(tok.value, now);
    assert.equal(t.principal, 'alice');
    assert.deepEqual([...t.scope], ['read', 'write']);
    assert.ok(t.expiresAtMs > now + 115_000 && t.expiresAtMs <= now + 120_000);
    assert.equal(parseCompactJws(tok.value).claims.level, 3);
    assert.throws(() => unsecuredLoginFromJaas(new Map([['unsecuredLoginStringClaim_exp', '1']])), /no principal|exp/);
    assert.throws(() => unsecuredLoginFromJaas(new Map([['unsecuredLoginStringClaim_sub', 'a'], ['unsecuredLoginNumberClaim_exp', '1']])), /'exp'/);
    assert.equal(unsecuredToken({ principal: 'x', now: NOW }).expiresAtMs, NOW + 3_600_000);
  });

  test('--command-config: sasl.mechanism=OAUTHBEARER with the unsecured module or a token file', async () => {
    const o = await securityOptions(new Map([['security.protocol', 'SASL_PLAINTEXT'], ['sasl.mechanism', 'OAUTHBEARER'], ['sasl.jaas.config', 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="alice";']]));
    assert.equal(o.sasl?.mechanism, 'OAUTHBEARER');
    const dir = mkdtempSync(join(tmpdir(), 'oauth-cli-'));
    try {
      writeFileSync(join(dir, 'token.jwt'), 'aaa.bbb.ccc\n');
      const f = await securityOptions(new Map([['security.protocol', 'SASL_SSL'], ['sasl.mechanism', 'OAUTHBEARER'], ['sasl.oauthbearer.token.endpoint.url', `file://${dir}/token.jwt`], ['sasl.jaas.config', 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;']]));
      assert.ok(f.sasl?.mechanism === 'OAUTHBEARER');
      assert.equal((await OAuthBearerClient.create(f.sasl)).first().toString(), 'n,,\x01auth=Bearer aaa.bbb.ccc\x01\x01');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await assert.rejects(securityOptions(new Map([['security.protocol', 'SASL_PLAINTEXT'], ['sasl.mechanism', 'OAUTHBEARER']])), /OAuthBearerLoginModule/);
    await assert.rejects(securityOptions(new Map([['security.protocol', 'SASL_PLAINTEXT'], ['sasl.mechanism', 'OAUTHBEARER'], ['sasl.oauthbearer.token.endpoint.url', 'https://idp/token']])), /only file/);
  });
});

describe('Kafka\'s allowed URLs and the JWKS sources', () => {
  test('system properties from KAFKA_OPTS; only listed URLs are allowed', () => {
    const p = systemPropertiesOf(`-Xmx1g -D${ALLOWED_URLS}=file:///a.json,https://idp/jwks "-Dother=x y" -Dk='v w'`);
    assert.equal(p.get(ALLOWED_URLS), 'file:///a.json,https://idp/jwks');
    assert.equal(p.get('k'), 'v w');
    checkAllowed(p, ALLOWED_URLS, 'URL', 'https://idp/jwks');
    assert.throws(() => checkAllowed(p, ALLOWED_URLS, 'URL', 'https://idp/other'), /cannot be accessed due to restrictions/);
    assert.throws(() => checkAllowed(new Map(), ALLOWED_URLS, 'URL', 'file:///a.json'), /restrictions/);
  });

  test('a JWKS file is read again when it changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jwks-'));
    try {
      const a = testKey('ES256', 'a');
      const b = testKey('ES256', 'b');
      const path = join(dir, 'jwks.json');
      writeFileSync(path, jwks(a));
      const src = new FileJwks(path, log);
      assert.deepEqual(src.keys().map((k) => k.kid), ['a']);
      writeFileSync(path, jwks(a, b));
      utimesSync(path, new Date(), new Date(Date.now() + 5000));
      assert.deepEqual(src.keys().map((k) => k.kid), ['a', 'b']);
      writeFileSync(path, '{broken');
      utimesSync(path, new Date(), new Date(Date.now() + 10000));
      assert.deepEqual(src.keys().map((k) => k.kid), ['a', 'b'], 'a broken file keeps the keys');
      assert.throws(() => new FileJwks(join(dir, 'missing.json'), log), /JWKS file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('an HTTP JWKS endpoint', () => {
    let server: Server;
    let body = '';
    let requests = 0;
    after(() => server?.close());

    test('fetched at start; an unknown kid refreshes it early, once', async () => {
      const a = testKey('RS256', 'a');
      const b = testKey('RS256', 'b');
      body = jwks(a);
      server = createServer((req, res) => {
        requests++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const port = (server.address() as { port: number }).port;
      const src = await HttpJwks.start({ url: `http://127.0.0.1:${port}/jwks`, refreshMs: 3_600_000, retryBackoffMs: 10, retryBackoffMaxMs: 100, get: httpGetText }, log);
      try {
        const v = new JwtValidator(jwtOptions, src);
        const now = Date.now();
        assert.equal(v.validate(signJwt(a, claimsFor('alice', now)), now).principal, 'alice');
        assert.equal(requests, 1);
        body = jwks(a, b);
        const tokenB = signJwt(b, claimsFor('bob', now));
        refused(() => v.validate(tokenB, now), /suitable verification key/);
        const end = Date.now() + 5000;
        let principal: string | null = null;
        while (principal === null && Date.now() < end) {
          await new Promise((r) => setTimeout(r, 10));
          try {
            principal = v.validate(tokenB, Date.now()).principal;
          } catch {
            // not refreshed yet
          }
        }
        assert.equal(principal, 'bob');
        assert.equal(requests, 2);
        refused(() => v.validate(signJwt(b, claimsFor('x', now), { kid: 'zzz' }), now), /suitable/);
        const until = Date.now() + 5000;
        while (requests < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
        await src.refresh();
        assert.equal(requests, 4);
        refused(() => v.validate(signJwt(b, claimsFor('x', now), { kid: 'zzz' }), now), /suitable/);
        await src.refresh();
        assert.equal(requests, 5, 'the same unknown kid within a minute does not fetch again: only the explicit refresh did');
      } finally {
        src.close();
      }
      await assert.rejects(HttpJwks.start({ url: `http://127.0.0.1:${port + 1 === 65536 ? 1 : port + 1}/none`, refreshMs: 1000, retryBackoffMs: 10, retryBackoffMaxMs: 50, get: httpGetText }, log));
    });
  });
});
