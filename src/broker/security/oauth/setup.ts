/**
 * The OAUTHBEARER validator of one listener, from Kafka's keys:
 * - `listener.name.<l>.oauthbearer.sasl.server.callback.handler.class` unset: the unsecured
 *   validator (development), its options from `listener.name.<l>.oauthbearer.sasl.jaas.config`;
 * - set to Kafka's OAuthBearerValidatorCallbackHandler (either package): signed JWTs checked
 *   against the JWKS of `sasl.oauthbearer.jwks.endpoint.url` (file://, https:// or http://),
 *   with `sasl.oauthbearer.expected.audience`, `.expected.issuer`, `.sub.claim.name`,
 *   `.scope.claim.name`, `.clock.skew.seconds` and the `.jwks.endpoint.*` refresh and backoff
 *   keys. Each is looked up as `listener.name.<l>.oauthbearer.<key>`, then
 *   `listener.name.<l>.<key>` (the per-listener form Kafka reads), then `<key>`. The URL must be allowed by
 *   org.apache.kafka.sasl.oauthbearer.allowed.urls (allowed.ts), as in Kafka 4.x.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ConfigReader } from '../../config/listeners.js';
import { listenerPrefix } from '../../config/listeners.js';
import type { Logger } from '../../logger.js';
import { parseJaasConfig } from '../../../util/jaas.js';
import { ALLOWED_URLS, checkAllowed } from './allowed.js';
import { FileJwks, HttpJwks, type HttpGet } from './jwks-source.js';
import { JwtValidator } from './jwt.js';
import type { TokenValidator } from './token.js';
import { UnsecuredValidator, unsecuredValidatorOptions } from './unsecured.js';

export const VALIDATOR_HANDLERS: readonly string[] = [
  'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
  'org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerValidatorCallbackHandler',
];
const UNSECURED_HANDLER = 'org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler';

export async function oauthValidator(config: ConfigReader, listener: string, log: Logger, systemProperties: ReadonlyMap<string, string>, get: HttpGet): Promise<TokenValidator> {
  const lp = listenerPrefix(listener);
  const value = (key: string): string | null => {
    for (const k of [`${lp}oauthbearer.${key}`, `${lp}${key}`]) if (config.isSet(k)) return config.get(k);
    return config.get(key);
  };
  const jaasText = config.get(`${lp}oauthbearer.sasl.jaas.config`) ?? config.get('sasl.jaas.config');
  const jaasOptions = jaasText === null ? new Map<string, string>() : parseJaasConfig(jaasText)[0]!.options;
  const handler = (config.get(`${lp}oauthbearer.sasl.server.callback.handler.class`) ?? '').trim();
  if (handler === '' || handler === UNSECURED_HANDLER) {
    log.warn({ listener }, 'OAUTHBEARER uses the unsecured validator: tokens are not signed, for development only');
    return new UnsecuredValidator(unsecuredValidatorOptions(jaasOptions));
  }
  if (!VALIDATOR_HANDLERS.includes(handler)) throw new Error(`listener ${listener}: ${lp}oauthbearer.sasl.server.callback.handler.class ${handler} is not supported (${[UNSECURED_HANDLER, ...VALIDATOR_HANDLERS].join(', ')})`);

  const urlKey = 'sasl.oauthbearer.jwks.endpoint.url';
  const url = (value(urlKey) ?? '').trim();
  if (url === '') throw new Error(`listener ${listener}: ${handler} needs ${urlKey}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new Error(`The OAuth configuration option ${urlKey} contains a URL (${url}) that is malformed: ${(err as Error).message}`);
  }
  const protocol = parsed.protocol.replace(/:$/, '');
  if (!['http', 'https', 'file'].includes(protocol)) throw new Error(`The OAuth configuration option ${urlKey} contains a URL (${url}) that contains an invalid protocol (${protocol}); only "http", "https", and "file" protocol are supported`);
  checkAllowed(systemProperties, ALLOWED_URLS, 'URL', url);
  const num = (key: string, min: number): number => {
    const v = Number(value(key));
    if (!Number.isFinite(v) || v < min) throw new Error(`The OAuth configuration option ${key} value must be at least ${min}`);
    return v;
  };
  const audience = (value('sasl.oauthbearer.expected.audience') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const issuer = value('sasl.oauthbearer.expected.issuer');
  if (audience.length === 0) log.warn({ listener }, 'OAUTHBEARER: sasl.oauthbearer.expected.audience is not set; tokens that carry an aud claim are refused, and the audience is not verified');
  if (issuer === null || issuer.trim() === '') log.warn({ listener }, 'OAUTHBEARER: sasl.oauthbearer.expected.issuer is not set; the token issuer is not verified');
  const jwks =
    protocol === 'file'
      ? new FileJwks(fileURLToPath(parsed), log)
      : await HttpJwks.start(
          {
            url,
            refreshMs: num('sasl.oauthbearer.jwks.endpoint.refresh.ms', 1),
            retryBackoffMs: num('sasl.oauthbearer.jwks.endpoint.retry.backoff.ms', 0),
            retryBackoffMaxMs: num('sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms', 0),
            tls: jwksTls(jaasOptions),
            get,
          },
          log,
        );
  return new JwtValidator(
    {
      expectedAudience: audience,
      expectedIssuer: issuer === null || issuer.trim() === '' ? null : issuer.trim(),
      subClaimName: (value('sasl.oauthbearer.sub.claim.name') ?? '').trim() || 'sub',
      scopeClaimName: (value('sasl.oauthbearer.scope.claim.name') ?? '').trim() || 'scope',
      clockSkewSeconds: num('sasl.oauthbearer.clock.skew.seconds', 0),
    },
    jwks,
  );
}

/**
 * TLS for an https JWKS endpoint, from the JAAS options as Kafka takes them (`ssl.truststore.location`
 * of type PEM, `ssl.endpoint.identification.algorithm` empty to skip host name checks).
 * Without them: the system's trusted CAs.
 */
function jwksTls(o: ReadonlyMap<string, string>): { ca?: string; checkServerIdentity?: () => undefined } | undefined {
  const out: { ca?: string; checkServerIdentity?: () => undefined } = {};
  const loc = o.get('ssl.truststore.location');
  if (loc) {
    const type = (o.get('ssl.truststore.type') ?? 'PEM').toUpperCase();
    if (type !== 'PEM') throw new Error(`OAUTHBEARER JWKS: ssl.truststore.type ${type} is not supported (PEM)`);
    out.ca = readFileSync(loc, 'utf8');
  }
  if (o.get('ssl.endpoint.identification.algorithm') === '') out.checkServerIdentity = () => undefined;
  return Object.keys(out).length > 0 ? out : undefined;
}
