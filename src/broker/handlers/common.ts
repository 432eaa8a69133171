import type { ListenerSpec } from '../config/listeners.js';
import type { RequestContext } from './handler.js';

/** The advertised address of the listener this request came in on. */
export function advertisedFor(ctx: RequestContext): ListenerSpec {
  const adv = ctx.broker.advertised;
  return adv.find((l) => l.name === ctx.conn.listenerName) ?? adv[0]!;
}
