// Awaiting what a store's watch brings: `until(pred)` resolves once the view satisfies `pred`
// (checked at once and after every change), and rejects after a deadline with the view's state.
import type { ClusterView } from '../../../src/broker/cluster/view.js';

export interface ViewWaiter {
  /** Pass as the store's onChange. */
  changed(): void;
  until(view: () => ClusterView, pred: (v: ClusterView) => boolean, what?: string): Promise<void>;
}

export function viewWaiter(timeoutMs = 15_000): ViewWaiter {
  const waiters = new Set<() => void>();
  return {
    changed: () => waiters.forEach((w) => w()),
    until(view, pred, what = 'the view') {
      if (pred(view())) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          const v = view();
          reject(new Error(`${what} did not reach the expected state in ${timeoutMs} ms: controller ${v.controller}, brokers ${[...v.brokers.keys()]}, partitions ${JSON.stringify([...v.partitions])}`));
        }, timeoutMs);
        const check = (): void => {
          if (!pred(view())) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
  };
}
