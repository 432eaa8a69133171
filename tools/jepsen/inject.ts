/**
 * `--inject-faults`: corrupts a recorded history with one case of every anomaly the checker
 * knows, to show on a real run that the checker fails it (and the script exits non-zero). The
 * broker is not involved: this is the checker's own test on real-sized data.
 */
import type { History, ReadOp } from './history.js';

export function injectFaults(h: History): { history: History; injected: string[] } {
  const writes = h.writes.map((w) => ({ ...w }));
  let finalReads = [...h.finalReads];
  const reads = [...h.reads];
  const injected: string[] = [];
  const acked = writes.filter((w) => w.outcome === 'ok' && finalReads.some((r) => r.value === w.value));
  if (acked.length < 3 || finalReads.length < 3) return { history: h, injected: ['nothing: too few acknowledged writes to corrupt'] };

  // lost: the final read "misses" an acknowledged write.
  const lost = acked[0]!;
  finalReads = finalReads.filter((r) => r.value !== lost.value);
  injected.push(`lost: ${lost.value} dropped from the final read`);

  // duplicate: a value appears again at a new offset past the partition's end.
  const dupOf = finalReads[finalReads.length - 1]!;
  const end = Math.max(...finalReads.filter((r) => r.partition === dupOf.partition).map((r) => r.offset)) + 1;
  finalReads.push({ ...dupOf, offset: end });
  injected.push(`duplicate: ${dupOf.value} also at ${dupOf.partition}:${end}`);

  // inconsistent offset (and an unexpected value): a consumer saw another value at a known position.
  const victim = finalReads[0]!;
  const bogus: ReadOp = { ...victim, consumer: 'injected', session: 0, value: `bogus-${victim.value}` };
  reads.push(bogus);
  injected.push(`inconsistent offset: ${bogus.value} at ${victim.partition}:${victim.offset}, where ${victim.value} is`);

  // misplaced: an acknowledgement that names another offset than the one the value was read at.
  const moved = writes.find((w) => w.value === acked[1]!.value)!;
  moved.offset = (moved.offset ?? 0) + 1_000_000;
  injected.push(`misplaced: ${moved.value} acknowledged at ${moved.partition}:${moved.offset}`);

  // non-monotonic: a consumer session reads an offset, then an earlier one.
  const a = finalReads[1]!;
  reads.push({ ...a, consumer: 'injected-order', session: 0, offset: a.offset + 1 }, { ...a, consumer: 'injected-order', session: 0 });
  injected.push(`non-monotonic: injected-order reads ${a.partition}:${a.offset + 1} then ${a.partition}:${a.offset}`);

  return { history: { ...h, writes, reads, finalReads }, injected };
}
