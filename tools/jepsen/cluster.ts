/**
 * What the workload and the nemesis need of a three-broker cluster, whichever broker it runs:
 * start it, kill -9 / pause / resume / restart one node, say which node is the controller, and
 * stop everything. tributary-cluster.ts and kafka-cluster.ts implement it.
 */

export type BrokerKind = 'tributary' | 'kafka';

export interface ClusterDriver {
  readonly kind: BrokerKind;
  /** Node ids, 1..3. */
  readonly nodeIds: readonly number[];
  /** How long a stopped broker keeps its registration (etcd lease, KRaft broker session). */
  readonly sessionTimeoutMs: number;
  /** Where its data and logs are. */
  readonly dir: string;
  /** `host:port` of every node, comma-separated. */
  bootstrap(): string;
  /** `host:port` of one node. */
  address(node: number): string;
  /** Starts every node; resolves once the cluster is ready (each node lists all three). */
  start(): Promise<void>;
  /** SIGKILL. */
  kill(node: number): Promise<void>;
  /** SIGSTOP / SIGCONT. */
  pause(node: number): void;
  resume(node: number): void;
  /** Starts a node that is down (after kill) and waits until the running nodes list it. */
  restart(node: number): Promise<void>;
  isRunning(node: number): boolean;
  /** The node's process id while it runs. */
  pid(node: number): number | null;
  /** The ports the node listens on (clients, and its controller's if it has one). */
  listenPorts(node: number): number[];
  /** The controller's node id, as this broker kind exposes it; null when unknown. */
  controllerId(): Promise<number | null>;
  /** Every node (and etcd) stopped: SIGCONT, SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
  /** Last resort from an exit handler: SIGKILL everything it started, synchronously. */
  killAllSync(): void;
  /** Configs of the test topic (min.insync.replicas, unclean election for --unsafe). */
  topicConfigs(unsafe: boolean): Record<string, string>;
}

/** Sends a signal to a pid; false when the process is gone. */
export function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

export function alive(pid: number | null): boolean {
  return pid !== null && signal(pid, 0);
}

/** Polls until `pred` holds or the deadline passes (then throws with `what`). */
export async function waitFor(pred: () => boolean | Promise<boolean>, ms: number, what: string, everyMs = 100): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits for a pid to exit (SIGKILL was sent). */
export function waitExit(pid: number, ms = 10_000): Promise<void> {
  return waitFor(() => !alive(pid), ms, `pid ${pid} to exit`, 20);
}
