/**
 * Which quota applies to a client, in Kafka's precedence order (ClientQuotaManager's default
 * callback), for one quota key:
 *
 *   1. /config/users/<user>/clients/<client-id>
 *   2. /config/users/<user>/clients/<default>
 *   3. /config/users/<user>
 *   4. /config/users/<default>/clients/<client-id>
 *   5. /config/users/<default>/clients/<default>
 *   6. /config/users/<default>
 *   7. /config/clients/<client-id>
 *   8. /config/clients/<default>
 *
 * The first level with a value decides the "metric tags": which clients share one measured rate.
 * A quota set on a user (3, 6) is shared by all its client ids; one set on a user and client id,
 * or on defaults of those, is one rate per (user, client id); one on client ids (7, 8) is one rate
 * per client id across users. The bound is then looked up from those tags, as Kafka does.
 */
import { userClientKey } from './entity.js';

export interface QuotaTags {
  /** '' when the rate is not per user. */
  user: string;
  /** '' when the rate is not per client id. */
  clientId: string;
}

/** The tags of the first level (in the order above) whose entity has a value. */
export function quotaTags(has: (entityKey: string) => boolean, user: string, clientId: string): QuotaTags {
  if (has(userClientKey(user, clientId)) || has(userClientKey(user, null))) return { user, clientId };
  if (has(userClientKey(user, undefined))) return { user, clientId: '' };
  if (has(userClientKey(null, clientId)) || has(userClientKey(null, null))) return { user, clientId };
  if (has(userClientKey(null, undefined))) return { user, clientId: '' };
  return { user: '', clientId };
}

/** The bound for the tags (undefined: unlimited). */
export function quotaLimit(get: (entityKey: string) => number | undefined, tags: QuotaTags): number | undefined {
  const { user, clientId } = tags;
  if (user !== '' && clientId !== '') {
    return get(userClientKey(user, clientId)) ?? get(userClientKey(user, null)) ?? get(userClientKey(null, clientId)) ?? get(userClientKey(null, null));
  }
  if (user !== '') return get(userClientKey(user, undefined)) ?? get(userClientKey(null, undefined));
  if (clientId !== '') return get(userClientKey(undefined, clientId)) ?? get(userClientKey(undefined, null));
  return undefined;
}
