/**
 * RE2/J's parser (part of re2.ts): the pattern's code points to a syntax tree, accepting what
 * RE2/J 1.8 accepts (Perl flags) and refusing the rest with RE2/J's error descriptions.
 */
import { inRanges, PERL_GROUPS, POSIX_GROUPS, unicodeTable, FOLD_TABLES, foldExtra, orbit, classPredicate, type ClassItem } from './re2-classes.js';

/** A pattern RE2/J refuses; `description` is its PatternSyntaxException's getDescription(). */
export class Re2SyntaxError extends Error {
  constructor(readonly description: string) {
    super(description);
    this.name = 'Re2SyntaxError';
  }
}

// RE2/J's error descriptions.
const ERR_INTERNAL = 'regexp/syntax: internal error';
const ERR_INVALID_CHAR_RANGE = 'invalid character class range';
const ERR_INVALID_ESCAPE = 'invalid escape sequence';
const ERR_INVALID_NAMED_CAPTURE = 'invalid named capture';
const ERR_INVALID_PERL_OP = 'invalid or unsupported Perl syntax';
const ERR_INVALID_REPEAT_OP = 'invalid nested repetition operator';
const ERR_INVALID_REPEAT_SIZE = 'invalid repeat count';
const ERR_MISSING_BRACKET = 'missing closing ]';
const ERR_MISSING_PAREN = 'missing closing )';
const ERR_MISSING_REPEAT_ARGUMENT = 'missing argument to repetition operator';
const ERR_TRAILING_BACKSLASH = 'trailing backslash at end of expression';
const ERR_DUPLICATE_NAMED_CAPTURE = 'duplicate capture group name';
export const ERR_TOO_LARGE = 'expression too large';
const ERR_NESTING = 'expression nests too deeply';
/** Group nesting limit (Go regexp's): deeper patterns are refused rather than recursed into. */
export const MAX_DEPTH = 1000;

export type Assertion = 'beginText' | 'endText' | 'beginLine' | 'endLine' | 'wordBoundary' | 'noWordBoundary';

export type Node =
  | { op: 'empty' }
  | { op: 'char'; test: (c: number) => boolean }
  | { op: 'assert'; kind: Assertion }
  | { op: 'concat'; subs: Node[] }
  | { op: 'alt'; subs: Node[] }
  | { op: 'repeat'; sub: Node; min: number; max: number };

const FOLD_CASE = 1;
const ONE_LINE = 2;
const DOT_NL = 4;
const NON_GREEDY = 8; // parsed for (?U), irrelevant to a whole-string match

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const unhex = (c: number): number => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1);
const ch = (s: string): number => s.codePointAt(0)!;

/** RE2/J's parser (Perl flags), building the tree above and failing as it fails. */
export class Parser {
  private pos = 0;
  private depth = 0;
  private flags = ONE_LINE; // RE2.PERL: ONE_LINE, PERL_X, UNICODE_GROUPS, CLASS_NL
  private readonly names = new Set<string>();

  constructor(private readonly cps: readonly number[]) {}

  private more(): boolean {
    return this.pos < this.cps.length;
  }
  private peek(): number | undefined {
    return this.cps[this.pos];
  }
  private at(s: string): boolean {
    for (let i = 0; i < s.length; i++) if (this.cps[this.pos + i] !== s.charCodeAt(i)) return false;
    return true;
  }
  private pop(): number {
    return this.cps[this.pos++]!;
  }

  parse(): Node {
    return this.alternation(false);
  }

  /** A group's body, with its flags restored afterwards. */
  private group(): Node {
    if (++this.depth > MAX_DEPTH) throw new Re2SyntaxError(ERR_NESTING);
    const saved = this.flags;
    const node = this.alternation(true);
    this.flags = saved;
    this.depth--;
    return node;
  }

  /** Alternatives up to a ')' (consumed, when inGroup) or the end; an unmatched ')' is RE2/J's stack underflow. */
  private alternation(inGroup: boolean): Node {
    const alts: Node[] = [];
    let items: Node[] = [];
    let lastWasRepeat = false;
    for (;;) {
      if (!this.more()) {
        if (inGroup) throw new Re2SyntaxError(ERR_MISSING_PAREN);
        break;
      }
      const c = this.peek()!;
      if (c === ch(')')) {
        if (!inGroup) throw new Re2SyntaxError(ERR_INTERNAL);
        this.pos++;
        break;
      }
      if (c === ch('|')) {
        this.pos++;
        alts.push(concat(items));
        items = [];
        lastWasRepeat = false;
        continue;
      }
      if (c === ch('*') || c === ch('+') || c === ch('?')) {
        this.pos++;
        const [min, max] = c === ch('*') ? [0, -1] : c === ch('+') ? [1, -1] : [0, 1];
        this.repeat(items, min, max, lastWasRepeat);
        lastWasRepeat = true;
        continue;
      }
      if (c === ch('{')) {
        const start = this.pos;
        const mm = this.parseRepeat();
        if (mm === null) {
          this.pos = start + 1;
          items.push(this.literal(c));
          // RE2/J quirk: a literal '{' still counts as a repetition for the next one (`a{*` is refused).
          lastWasRepeat = true;
        } else {
          this.repeat(items, mm[0], mm[1], lastWasRepeat);
          lastWasRepeat = true;
        }
        continue;
      }
      lastWasRepeat = false;
      if (c === ch('(')) {
        if (this.at('(?')) {
          const saved = this.flags;
          const kind = this.perlGroup();
          if (kind === 'flags') continue; // (?i): flags change until the enclosing group ends
          const newFlags = this.flags;
          this.flags = saved;
          items.push(this.withFlags(newFlags, () => this.group()));
          continue;
        }
        this.pos++;
        items.push(this.group());
        continue;
      }
      if (c === ch('^')) {
        this.pos++;
        items.push({ op: 'assert', kind: this.flags & ONE_LINE ? 'beginText' : 'beginLine' });
        continue;
      }
      if (c === ch('$')) {
        this.pos++;
        items.push({ op: 'assert', kind: this.flags & ONE_LINE ? 'endText' : 'endLine' });
        continue;
      }
      if (c === ch('.')) {
        this.pos++;
        const nl = (this.flags & DOT_NL) !== 0;
        items.push({ op: 'char', test: nl ? () => true : (x) => x !== 0x0a });
        continue;
      }
      if (c === ch('[')) {
        items.push(this.parseClass());
        continue;
      }
      if (c === ch('\\')) {
        const n = this.escapeAtom();
        if (n !== null) items.push(...n);
        continue;
      }
      this.pos++;
      items.push(this.literal(c));
    }
    alts.push(concat(items));
    return alts.length === 1 ? alts[0]! : { op: 'alt', subs: alts };
  }

  /** Runs fn with these flags; group() restores the ones before it. */
  private withFlags(flags: number, fn: () => Node): Node {
    const before = this.flags;
    this.flags = flags;
    const n = fn();
    this.flags = before;
    return n;
  }

  private repeat(items: Node[], min: number, max: number, lastWasRepeat: boolean): void {
    if (this.more() && this.peek() === ch('?')) this.pos++; // non-greedy: the same whole-string matches
    if (lastWasRepeat) throw new Re2SyntaxError(ERR_INVALID_REPEAT_OP);
    const sub = items.pop();
    if (sub === undefined) throw new Re2SyntaxError(ERR_MISSING_REPEAT_ARGUMENT);
    items.push({ op: 'repeat', sub, min, max });
  }

  /** {n}, {n,} or {n,m} at the cursor; null (cursor undefined) when it is not one, so '{' is literal. */
  private parseRepeat(): [number, number] | null {
    this.pos++; // '{'
    const min = this.parseInt();
    if (min === -1 || !this.more()) return null;
    let max: number;
    if (this.peek() !== ch(',')) max = min;
    else {
      this.pos++;
      if (!this.more()) return null;
      if (this.peek() === ch('}')) max = -1;
      else if ((max = this.parseInt()) === -1) return null;
    }
    if (!this.more() || this.peek() !== ch('}')) return null;
    this.pos++;
    if (min < 0 || min > 1000 || max === -2 || max > 1000 || (max >= 0 && min > max)) throw new Re2SyntaxError(ERR_INVALID_REPEAT_SIZE);
    return [min, max];
  }

  /** A decimal number without leading zeros: -1 when malformed, -2 when longer than 8 digits. */
  private parseInt(): number {
    const start = this.pos;
    while (isDigit(this.peek())) this.pos++;
    const digits = this.cps.slice(start, this.pos);
    if (digits.length === 0 || (digits.length > 1 && digits[0] === 0x30)) return -1;
    if (digits.length > 8) return -2;
    return Number(String.fromCodePoint(...digits));
  }

  /** After "(?": a named group (then its body is parsed by the caller), a non-capturing group, or flags. */
  private perlGroup(): 'group' | 'flags' {
    if (this.at('(?P<') || this.at('(?<')) {
      const begin = this.at('(?P<') ? 4 : 3;
      let end = -1;
      for (let i = this.pos + begin; i < this.cps.length; i++) {
        if (this.cps[i] === ch('>')) {
          end = i;
          break;
        }
      }
      if (end < 0) throw new Re2SyntaxError(ERR_INVALID_NAMED_CAPTURE);
      const name = this.cps.slice(this.pos + begin, end);
      this.pos = end + 1;
      if (name.length === 0 || !name.every((x) => x === ch('_') || isAlnum(x))) throw new Re2SyntaxError(ERR_INVALID_NAMED_CAPTURE);
      const key = String.fromCodePoint(...name);
      if (this.names.has(key)) throw new Re2SyntaxError(ERR_DUPLICATE_NAMED_CAPTURE);
      this.names.add(key);
      return 'group';
    }
    this.pos += 2;
    let flags = this.flags;
    let negate = false;
    let sawFlag = false;
    while (this.more()) {
      const c = this.pop();
      let bit = 0;
      if (c === ch('i')) bit = FOLD_CASE;
      else if (c === ch('s')) bit = DOT_NL;
      else if (c === ch('U')) bit = NON_GREEDY;
      if (bit !== 0 || c === ch('m')) {
        // m clears ONE_LINE; the others set their bit; '-' inverts what follows.
        const set = c === ch('m') ? negate : !negate;
        const b = c === ch('m') ? ONE_LINE : bit;
        flags = set ? flags | b : flags & ~b;
        sawFlag = true;
        continue;
      }
      if (c === ch('-')) {
        if (negate) break;
        negate = true;
        sawFlag = false;
        continue;
      }
      if (c === ch(':') || c === ch(')')) {
        if (negate && !sawFlag) break;
        if (c === ch(':')) {
          // The group's body is parsed with the new flags; the old ones come back at its ')'.
          this.flags = flags;
          return 'group';
        }
        this.flags = flags;
        return 'flags';
      }
      break;
    }
    throw new Re2SyntaxError(ERR_INVALID_PERL_OP);
  }

  private literal(c: number): Node {
    if (this.flags & FOLD_CASE) {
      const o = orbit(c);
      return { op: 'char', test: (x) => o.includes(x) };
    }
    return { op: 'char', test: (x) => x === c };
  }

  /** A backslash outside a class: an assertion, \Q...\E, a class escape, or one character. */
  private escapeAtom(): Node[] | null {
    const saved = this.pos;
    this.pos++; // '\'
    if (this.more()) {
      const c = this.pop();
      switch (String.fromCodePoint(c)) {
        case 'A':
          return [{ op: 'assert', kind: 'beginText' }];
        case 'b':
          return [{ op: 'assert', kind: 'wordBoundary' }];
        case 'B':
          return [{ op: 'assert', kind: 'noWordBoundary' }];
        case 'C':
          throw new Re2SyntaxError(ERR_INVALID_ESCAPE);
        case 'z':
          return [{ op: 'assert', kind: 'endText' }];
        case 'Q': {
          const out: Node[] = [];
          while (this.more() && !this.at('\\E')) out.push(this.literal(this.pop()));
          if (this.at('\\E')) this.pos += 2;
          return out;
        }
        default:
          this.pos = saved;
      }
    }
    const u = this.unicodeClass();
    if (u !== null) return [{ op: 'char', test: classPredicate([u], false, (this.flags & FOLD_CASE) !== 0) }];
    const g = this.perlClassEscape();
    if (g !== null) return [{ op: 'char', test: classPredicate([g], false, (this.flags & FOLD_CASE) !== 0) }];
    this.pos = saved;
    return [this.literal(this.parseEscape())];
  }

  /** \pN, \p{Name}, \PN, \P{^Name} at the cursor; null when not there (cursor unchanged). */
  private unicodeClass(): ClassItem | null {
    if (!this.at('\\p') && !this.at('\\P')) return null;
    this.pos++;
    let negated = this.pop() === ch('P');
    if (!this.more()) throw new Re2SyntaxError(ERR_INVALID_CHAR_RANGE);
    const c = this.pop();
    let name: string;
    if (c !== ch('{')) name = String.fromCodePoint(c);
    else {
      const end = this.cps.indexOf(ch('}'), this.pos);
      if (end < 0) throw new Re2SyntaxError(ERR_INVALID_CHAR_RANGE);
      name = String.fromCodePoint(...this.cps.slice(this.pos, end));
      this.pos = end + 1;
    }
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    const t = unicodeTable(name);
    if (!t) throw new Re2SyntaxError(ERR_INVALID_CHAR_RANGE);
    if ((this.flags & FOLD_CASE) === 0 || !FOLD_TABLES.has(name)) return { test: t, negated, folded: true };
    return { test: (c) => t(c) || foldExtra(name, t, c), negated, folded: true };
  }

  /** \d \D \s \S \w \W at the cursor; null when not there. */
  private perlClassEscape(): ClassItem | null {
    if (!this.at('\\') || this.pos + 1 >= this.cps.length) return null;
    const g = PERL_GROUPS[String.fromCodePoint(this.cps[this.pos + 1]!)];
    if (!g) return null;
    this.pos += 2;
    return { test: (c) => inRanges(g.ranges, c), negated: g.sign < 0 };
  }

  /** One escaped character (cursor at '\'). */
  private parseEscape(): number {
    this.pos++;
    if (!this.more()) throw new Re2SyntaxError(ERR_TRAILING_BACKSLASH);
    const c = this.pop();
    if (!isAlnum(c)) return c; // RE2/J 1.8: any escaped character but an ASCII letter or digit is itself
    const octal = (x: number | undefined): boolean => x !== undefined && x >= 0x30 && x <= 0x37;
    if ((c >= ch('1') && c <= ch('7') && octal(this.peek())) || c === ch('0')) {
      let r = c - 0x30;
      for (let i = 1; i < 3 && octal(this.peek()); i++) r = r * 8 + this.pop() - 0x30;
      return r;
    }
    switch (String.fromCodePoint(c)) {
      case 'x': {
        if (!this.more()) break;
        let d = this.pop();
        if (d === ch('{')) {
          let n = 0;
          let r = 0;
          for (;;) {
            if (!this.more()) throw new Re2SyntaxError(ERR_INVALID_ESCAPE);
            d = this.pop();
            if (d === ch('}')) break;
            const v = unhex(d);
            if (v < 0) throw new Re2SyntaxError(ERR_INVALID_ESCAPE);
            r = r * 16 + v;
            if (r > 0x10ffff) throw new Re2SyntaxError(ERR_INVALID_ESCAPE);
            n++;
          }
          if (n === 0) break;
          return r;
        }
        const x = unhex(d);
        if (!this.more()) break;
        const y = unhex(this.pop());
        if (x < 0 || y < 0) break;
        return x * 16 + y;
      }
      case 'a':
        return 7;
      case 'f':
        return 0x0c;
      case 'n':
        return 0x0a;
      case 'r':
        return 0x0d;
      case 't':
        return 0x09;
      case 'v':
        return 0x0b;
    }
    throw new Re2SyntaxError(ERR_INVALID_ESCAPE);
  }

  /** [...] (cursor at '['). */
  private parseClass(): Node {
    this.pos++;
    let negated = false;
    if (this.more() && this.peek() === ch('^')) {
      negated = true; // RE2's Perl mode (CLASS_NL): a negated class matches \n too
      this.pos++;
    }
    const fold = (this.flags & FOLD_CASE) !== 0;
    const items: ClassItem[] = [];
    let first = true;
    while (!this.more() || this.peek() !== ch(']') || first) {
      first = false;
      const before = this.pos;
      if (this.at('[:')) {
        const named = this.namedClass();
        if (named !== null) {
          items.push(named);
          continue;
        }
        this.pos = before;
      }
      const u = this.unicodeClass();
      if (u !== null) {
        items.push(u);
        continue;
      }
      const g = this.perlClassEscape();
      if (g !== null) {
        items.push(g);
        continue;
      }
      const lo = this.classChar();
      let hi = lo;
      if (this.more() && this.peek() === ch('-')) {
        this.pos++;
        if (this.more() && this.peek() === ch(']')) this.pos--; // [a-]: the '-' is a character
        else {
          hi = this.classChar();
          if (hi < lo) throw new Re2SyntaxError(ERR_INVALID_CHAR_RANGE);
        }
      }
      items.push({ test: (c) => c >= lo && c <= hi, negated: false });
    }
    this.pos++; // ']'
    return { op: 'char', test: classPredicate(items, negated, fold) };
  }

  private classChar(): number {
    if (!this.more()) throw new Re2SyntaxError(ERR_MISSING_BRACKET);
    if (this.peek() === ch('\\')) return this.parseEscape();
    return this.pop();
  }

  /** [:alpha:] or [:^alpha:] (cursor at "[:"); null when no ":]" follows, so '[' is a character. */
  private namedClass(): ClassItem | null {
    let end = -1;
    for (let i = this.pos; i + 1 < this.cps.length; i++) {
      if (this.cps[i] === ch(':') && this.cps[i + 1] === ch(']')) {
        end = i;
        break;
      }
    }
    if (end < 0) return null;
    const name = String.fromCodePoint(...this.cps.slice(this.pos + 2, end));
    this.pos = end + 2;
    const negated = name.startsWith('^');
    const key = negated ? name.slice(1) : name;
    if (!Object.prototype.hasOwnProperty.call(POSIX_GROUPS, key)) throw new Re2SyntaxError(ERR_INVALID_CHAR_RANGE);
    const ranges = POSIX_GROUPS[key]!;
    return { test: (c) => inRanges(ranges, c), negated };
  }
}

export function concat(items: Node[]): Node {
  if (items.length === 0) return { op: 'empty' };
  return items.length === 1 ? items[0]! : { op: 'concat', subs: items };
}

// ---- program and matching ----------------------------------------------------------------------
