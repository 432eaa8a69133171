/**
 * Admin requests the controller decides (ElectLeaders, partition reassignments): served where
 * the controller runs, and forwarded to it from any other broker (as Kafka's brokers forward to
 * their controller), so a client may send them to whichever broker it knows.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiKeyNumber, RequestOf, ResponseOf } from '../../protocol/messages/index.js';
import type { Controller } from '../cluster/controller.js';
import type { RequestContext } from './handler.js';

/**
 * Runs `local` on this broker's controller when it is the active one; otherwise forwards the
 * request to the controller and returns its answer. `failed` builds the answer for an error
 * (no controller, or it could not be reached: NOT_CONTROLLER, which clients retry). A single
 * node is its own controller with one broker: `single` answers there.
 */
export async function atController<K extends ApiKeyNumber>(
  ctx: RequestContext,
  apiKey: K,
  req: RequestOf<K>,
  local: (c: Controller) => Promise<ResponseOf<K>>,
  failed: (errorCode: number, message: string) => ResponseOf<K>,
  single: () => ResponseOf<K>,
): Promise<ResponseOf<K>> {
  const b = ctx.broker;
  if (!b.controller) return single();
  if (b.controller.epoch !== null) return local(b.controller);
  const id = b.replicas.controllerId();
  if (id < 0 || !b.peers) return failed(ErrorCode.NOT_CONTROLLER, 'No controller is elected right now.');
  try {
    return await b.peers.send(id, apiKey, req, { version: ctx.apiVersion, timeoutMs: 30_000 });
  } catch (err) {
    return failed(ErrorCode.NOT_CONTROLLER, `The controller (broker ${id}) could not be reached: ${err instanceof Error ? err.message : String(err)}`);
  }
}
