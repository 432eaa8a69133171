/**
 * Cutting one broker off the network, for the `isolate` fault. Possible only when the whole run is
 * in a network namespace of its own (scripts/jepsen.sh starts it under `unshare -n` and sets
 * JEPSEN_NETNS=1), so the rules touch nothing else on the machine, and iptables and a cgroup v2
 * hierarchy are there.
 *
 * Everything is on loopback, so a broker is told apart by its sockets: an iptables chain drops
 * (in OUTPUT, where every loopback packet passes) packets to or from its listening ports, to or
 * from the local ports of the connections it has open now (found with `ss`), and every packet from
 * a socket it creates later (it is moved into a cgroup of its own, matched with `-m cgroup`).
 * Dropped, not refused: the others see a silent peer, as in a real partition. heal() removes the
 * chain; TCP retransmits what was held up.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from './proc.js';

/** Where the cgroup v2 hierarchy is mounted (hybrid hosts: .../unified), or null. */
function cgroup2Root(): string | null {
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' '));
  return mounts.find((m) => m[2] === 'cgroup2')?.[1] ?? null;
}

/** Why isolation cannot be done here, or null when it can. */
export async function isolationUnavailable(): Promise<string | null> {
  if (process.env.JEPSEN_NETNS !== '1') return 'the run is not in a network namespace of its own (scripts/jepsen.sh uses `unshare -n` when it works)';
  if (!cgroup2Root()) return 'no cgroup v2 hierarchy is mounted';
  const r = await runCommand('iptables', ['-S', 'OUTPUT'], 10_000).catch(() => null);
  if (!r || r.code !== 0) return 'iptables is not usable (apt-get install iptables)';
  return null;
}

async function ipt(args: string[]): Promise<void> {
  const r = await runCommand('iptables', ['-w', ...args], 10_000);
  if (r.code !== 0) throw new Error(`iptables ${args.join(' ')}: ${r.output.trim()}`);
}

/** The local ports of `pid`'s sockets in `ss -tanpH` output (state, queues, local, peer, process). */
export function localPortsOf(ssOutput: string, pid: number): number[] {
  const ports = new Set<number>();
  for (const line of ssOutput.split('\n')) {
    if (!new RegExp(`[(,]pid=${pid},`).test(line)) continue;
    const local = line.trim().split(/\s+/)[3] ?? '';
    const port = Number(local.slice(local.lastIndexOf(':') + 1));
    if (Number.isInteger(port) && port > 0) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** Local ports of the TCP sockets `pid` has open now. */
async function localPorts(pid: number): Promise<number[]> {
  const r = await runCommand('ss', ['-tanpH'], 10_000);
  return localPortsOf(r.output, pid);
}

export class Partitioner {
  private readonly root = cgroup2Root()!;
  private readonly group = `jepsen-${process.pid}`;
  private readonly cut = new Set<number>();

  /** Cuts `node` (process `pid`, listening on `listenPorts`) off. */
  async isolate(node: number, pid: number, listenPorts: readonly number[]): Promise<string> {
    const path = `${this.group}/node-${node}`;
    mkdirSync(join(this.root, path), { recursive: true });
    writeFileSync(join(this.root, path, 'cgroup.procs'), String(pid));
    const ports = [...new Set([...listenPorts, ...(await localPorts(pid))])];
    const chain = `JEPSEN-${node}`;
    await ipt(['-N', chain]);
    this.cut.add(node);
    await ipt(['-A', chain, '-m', 'cgroup', '--path', path, '-j', 'DROP']);
    for (const p of ports) {
      await ipt(['-A', chain, '-p', 'tcp', '--sport', String(p), '-j', 'DROP']);
      await ipt(['-A', chain, '-p', 'tcp', '--dport', String(p), '-j', 'DROP']);
    }
    await ipt(['-I', 'OUTPUT', '-j', chain]);
    return `${ports.length} ports and cgroup ${path} dropped`;
  }

  async heal(node: number): Promise<void> {
    if (!this.cut.has(node)) return;
    const chain = `JEPSEN-${node}`;
    await ipt(['-D', 'OUTPUT', '-j', chain]).catch(() => undefined);
    await ipt(['-F', chain]);
    await ipt(['-X', chain]);
    this.cut.delete(node);
  }

  async healAll(): Promise<void> {
    for (const n of [...this.cut]) await this.heal(n);
  }

  /** Removes the cgroups (once their processes are gone). */
  cleanup(): void {
    const base = join(this.root, this.group);
    if (!existsSync(base)) return;
    for (const n of [1, 2, 3]) {
      try {
        rmdirSync(join(base, `node-${n}`));
      } catch {
        // absent, or a process is still in it
      }
    }
    try {
      rmdirSync(base);
    } catch {
      // not empty
    }
  }
}
