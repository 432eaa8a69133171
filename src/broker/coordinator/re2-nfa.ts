/**
 * RE2's matching (part of re2.ts): a syntax tree compiled to a program of at most
 * MAX_INSTRUCTIONS instructions, run as an NFA over the input's code points in linear time.
 */
import type { Assertion, Node } from './re2-parse.js';

/** Upper bound on the compiled program, so a pattern cannot make matching arbitrarily slow. */
export const MAX_INSTRUCTIONS = 20_000;


type Inst =
  | { op: 'char'; test: (c: number) => boolean; next: number }
  | { op: 'split'; x: number; y: number }
  | { op: 'jmp'; next: number }
  | { op: 'assert'; kind: Assertion; next: number }
  | { op: 'match' };

/** Instructions a node compiles to, or Infinity past the limit (without building anything). */
function size(n: Node): number {
  switch (n.op) {
    case 'empty':
      return 0;
    case 'char':
    case 'assert':
      return 1;
    case 'concat':
      return n.subs.reduce((a, s) => a + size(s), 0);
    case 'alt':
      return n.subs.reduce((a, s) => a + size(s), 0) + 2 * (n.subs.length - 1);
    case 'repeat': {
      const s = size(n.sub);
      const total = n.max === -1 ? (Math.max(n.min, 1) * (s + 1) + 1) : n.max * (s + 1) + 1;
      return total > MAX_INSTRUCTIONS ? Infinity : total;
    }
  }
}

class Compiler {
  readonly prog: Inst[] = [];

  /** Emits n; `next` is where it continues. Returns its entry point. */
  emit(n: Node, next: number): number {
    const p = this.prog;
    switch (n.op) {
      case 'empty':
        return next;
      case 'char':
        p.push({ op: 'char', test: n.test, next });
        return p.length - 1;
      case 'assert':
        p.push({ op: 'assert', kind: n.kind, next });
        return p.length - 1;
      case 'concat': {
        let entry = next;
        for (let i = n.subs.length - 1; i >= 0; i--) entry = this.emit(n.subs[i]!, entry);
        return entry;
      }
      case 'alt': {
        let entry = this.emit(n.subs[n.subs.length - 1]!, next);
        for (let i = n.subs.length - 2; i >= 0; i--) {
          const x = this.emit(n.subs[i]!, next);
          p.push({ op: 'split', x, y: entry });
          entry = p.length - 1;
        }
        return entry;
      }
      case 'repeat': {
        const { sub, min, max } = n;
        let entry = next;
        if (max === -1) {
          // sub* after the mandatory copies: a loop.
          const loop = p.length;
          p.push({ op: 'split', x: -1, y: next });
          const body = this.emit(sub, loop);
          (p[loop] as { x: number }).x = body;
          entry = loop;
        } else {
          // (sub(sub(...)?)?)? for the optional copies.
          for (let i = 0; i < max - min; i++) {
            const body = this.emit(sub, entry);
            p.push({ op: 'split', x: body, y: next });
            entry = p.length - 1;
          }
        }
        for (let i = 0; i < min; i++) entry = this.emit(sub, entry);
        return entry;
      }
    }
  }
}

const isWord = (c: number | undefined): boolean =>
  c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (c >= 0x61 && c <= 0x7a));

function holds(kind: Assertion, input: readonly number[], i: number): boolean {
  switch (kind) {
    case 'beginText':
      return i === 0;
    case 'endText':
      return i === input.length;
    case 'beginLine':
      return i === 0 || input[i - 1] === 0x0a;
    case 'endLine':
      return i === input.length || input[i] === 0x0a;
    case 'wordBoundary':
      return isWord(input[i - 1]) !== isWord(input[i]);
    case 'noWordBoundary':
      return isWord(input[i - 1]) === isWord(input[i]);
  }
}

/** Whole-input match, simulating the NFA one code point at a time (Thompson's construction). */
export function run(prog: readonly Inst[], start: number, input: readonly number[]): boolean {
  const mark = new Int32Array(prog.length).fill(-1);
  let clist: number[] = [];
  let nlist: number[] = [];
  let step = 0;
  const add = (list: number[], pc: number, i: number): void => {
    const stack = [pc];
    while (stack.length > 0) {
      const q = stack.pop()!;
      if (mark[q] === step) continue;
      mark[q] = step;
      const inst = prog[q]!;
      switch (inst.op) {
        case 'jmp':
          stack.push(inst.next);
          break;
        case 'split':
          stack.push(inst.y, inst.x);
          break;
        case 'assert':
          if (holds(inst.kind, input, i)) stack.push(inst.next);
          break;
        default:
          list.push(q);
      }
    }
  };
  add(clist, start, 0);
  for (let i = 0; ; i++) {
    if (i === input.length) return clist.some((q) => prog[q]!.op === 'match');
    if (clist.length === 0) return false;
    step++;
    nlist = [];
    const c = input[i]!;
    for (const q of clist) {
      const inst = prog[q]!;
      if (inst.op === 'char' && inst.test(c)) add(nlist, inst.next, i + 1);
    }
    [clist, nlist] = [nlist, clist];
  }
}


/** Instructions for `tree` and its entry point, or null when it would exceed MAX_INSTRUCTIONS. */
export function compileTree(tree: Node): { prog: readonly Inst[]; start: number } | null {
  if (size(tree) + 1 > MAX_INSTRUCTIONS) return null;
  const c = new Compiler();
  c.prog.push({ op: 'match' });
  const start = c.emit(tree, 0);
  return { prog: c.prog, start };
}
