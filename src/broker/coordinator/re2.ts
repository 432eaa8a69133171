/**
 * Regular expressions as Kafka evaluates consumer-group subscriptions (KIP-848's
 * SubscribedTopicRegex): RE2/J 1.8's syntax (`com.google.re2j.Pattern.compile(regex)`, Perl flags)
 * and `Matcher.matches()`, a match of the whole topic name.
 *
 * JavaScript's RegExp is not used: it accepts what RE2 refuses (lookaround, backreferences), refuses
 * what RE2 accepts (`(?i)` inside a pattern, `\Q...\E`, `[[:alpha:]]`, `\pL`, `\z`, `a{,3}` as
 * literal text, `[]a]`), and backtracks, so one subscription could stall the coordinator. Here the
 * pattern is parsed as RE2/J parses it (the same accepted syntax and the same error descriptions,
 * checked against RE2/J itself by test/fixtures/re2j) and run as an NFA over the name's code points
 * in linear time, as RE2 does.
 *
 * Differences, all deliberate: a pattern that compiles to more than MAX_INSTRUCTIONS instructions
 * (nested counted repetitions such as `(a{1000}){1000}`, which RE2/J accepts, or exhausts the heap
 * on) is refused as "expression too large", and groups nested deeper than MAX_DEPTH (RE2/J
 * overflows its stack at a few thousand) as "expression nests too deeply", Go regexp's wordings for
 * its own limits; case folding (`(?i)`) and Unicode classes (`\p{Greek}`) use JavaScript's Unicode
 * data rather than RE2/J's Unicode 6 tables, which agree on ASCII, the only characters a topic name
 * can have (RE2/J's own quirks there are kept: `(?i)\p{Ll}` does not match `A`, `(?i)\p{Lu}` does
 * match `a`).
 */

/** A pattern RE2/J refuses; `description` is its PatternSyntaxException's getDescription(). */
export class Re2SyntaxError extends Error {
  constructor(readonly description: string) {
    super(description);
    this.name = 'Re2SyntaxError';
  }
}

export interface Re2Pattern {
  readonly source: string;
  /** Whether the whole string matches (RE2/J `matcher(s).matches()`). */
  test(s: string): boolean;
}

/** Upper bound on the compiled program, so a pattern cannot make matching arbitrarily slow. */
export const MAX_INSTRUCTIONS = 20_000;

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
const ERR_TOO_LARGE = 'expression too large';
const ERR_NESTING = 'expression nests too deeply';
/** Group nesting limit (Go regexp's): deeper patterns are refused rather than recursed into. */
export const MAX_DEPTH = 1000;

// ---- character sets ----------------------------------------------------------------------------

/** Inclusive code point ranges [lo0, hi0, lo1, hi1, ...]. */
type Ranges = readonly number[];

const inRanges = (r: Ranges, c: number): boolean => {
  for (let i = 0; i < r.length; i += 2) if (c >= r[i]! && c <= r[i + 1]!) return true;
  return false;
};

const PERL_GROUPS: Record<string, { sign: 1 | -1; ranges: Ranges }> = {
  d: { sign: 1, ranges: [0x30, 0x39] },
  D: { sign: -1, ranges: [0x30, 0x39] },
  s: { sign: 1, ranges: [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20] },
  S: { sign: -1, ranges: [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20] },
  w: { sign: 1, ranges: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a] },
  W: { sign: -1, ranges: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a] },
};

const POSIX_GROUPS: Record<string, Ranges> = {
  alnum: [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a],
  alpha: [0x41, 0x5a, 0x61, 0x7a],
  ascii: [0x00, 0x7f],
  blank: [0x09, 0x09, 0x20, 0x20],
  cntrl: [0x00, 0x1f, 0x7f, 0x7f],
  digit: [0x30, 0x39],
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e],
  space: [0x09, 0x0d, 0x20, 0x20],
  upper: [0x41, 0x5a],
  word: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
  xdigit: [0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
};

/** RE2/J 1.8's Unicode category and script names (UnicodeTables.CATEGORIES and SCRIPTS). */
const CATEGORIES = new Set('C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(' '));
const SCRIPTS = new Set(
  (
    'Arabic Armenian Avestan Balinese Bamum Batak Bengali Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Cham ' +
    'Cherokee Common Coptic Cuneiform Cypriot Cyrillic Deseret Devanagari Egyptian_Hieroglyphs Ethiopic Georgian Glagolitic Gothic ' +
    'Greek Gujarati Gurmukhi Han Hangul Hanunoo Hebrew Hiragana Imperial_Aramaic Inherited Inscriptional_Pahlavi ' +
    'Inscriptional_Parthian Javanese Kaithi Kannada Katakana Kayah_Li Kharoshthi Khmer Lao Latin Lepcha Limbu Linear_B Lisu Lycian ' +
    'Lydian Malayalam Mandaic Meetei_Mayek Mongolian Myanmar New_Tai_Lue Nko Ogham Ol_Chiki Old_Italic Old_Persian ' +
    'Old_South_Arabian Old_Turkic Oriya Osmanya Phags_Pa Phoenician Rejang Runic Samaritan Saurashtra Shavian Sinhala Sundanese ' +
    'Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet Tamil Telugu Thaana Thai Tibetan Tifinagh Ugaritic Unknown Vai Yi'
  ).split(' '),
);

const unicodeTests = new Map<string, (c: number) => boolean>();

/** Membership in a Unicode category or script by RE2/J's name, or undefined for a name it lacks. */
function unicodeTable(name: string): ((c: number) => boolean) | undefined {
  if (name === 'Any') return () => true;
  let t = unicodeTests.get(name);
  if (t) return t;
  let re: RegExp;
  // RE2's C is Cc|Cf|Co|Cs: JavaScript's \p{C} also has the unassigned code points (Cn).
  if (name === 'C') re = /^[\p{Cc}\p{Cf}\p{Co}\p{Cs}]$/u;
  else if (CATEGORIES.has(name)) re = new RegExp(`^\\p{gc=${name}}$`, 'u');
  else if (SCRIPTS.has(name)) re = new RegExp(`^\\p{Script=${name}}$`, 'u');
  else return undefined;
  t = (c: number) => re.test(String.fromCodePoint(c));
  unicodeTests.set(name, t);
  return t;
}

/**
 * RE2/J folds a Unicode class under (?i) by adding a table of extra code points, which it has only
 * for these names (FOLD_CATEGORIES, FOLD_SCRIPT); for every other name (?i) changes nothing. Its
 * tables' ASCII entries are exact here (Ll gains only K and S; Lu gains a-z); beyond ASCII the extra
 * code points are approximated by case-folding orbits.
 */
const FOLD_TABLES = new Set(['Ll', 'Lt', 'Lu', 'Mn', 'Common', 'Greek', 'Inherited']);
const ASCII_FOLD_EXTRAS: Readonly<Record<string, Ranges>> = { Ll: [0x4b, 0x4b, 0x53, 0x53], Lu: [0x61, 0x7a] };

function foldExtra(name: string, table: (c: number) => boolean, c: number): boolean {
  if (c < 0x80) return inRanges(ASCII_FOLD_EXTRAS[name] ?? [], c);
  return orbit(c).some((x) => x !== c && table(x));
}

/** Case folding pairs outside what toLowerCase/toUpperCase of one code point give. */
const EXTRA_FOLDS: ReadonlyMap<number, readonly number[]> = new Map([
  [0x4b, [0x212a]],
  [0x6b, [0x212a]],
  [0x212a, [0x4b, 0x6b]],
  [0x53, [0x17f]],
  [0x73, [0x17f]],
  [0x17f, [0x53, 0x73]],
  [0xc5, [0x212b]],
  [0xe5, [0x212b]],
  [0x212b, [0xc5, 0xe5]],
]);

const oneCodePoint = (s: string): number | undefined => {
  const c = s.codePointAt(0);
  return c !== undefined && s.length === String.fromCodePoint(c).length ? c : undefined;
};

/** The code points case-fold-equivalent to c (c included): RE2's simple folding orbit. */
function orbit(c: number): number[] {
  const out = [c];
  const add = (x: number | undefined): void => {
    if (x !== undefined && !out.includes(x)) out.push(x);
  };
  const s = String.fromCodePoint(c);
  const lo = oneCodePoint(s.toLowerCase());
  const up = oneCodePoint(s.toUpperCase());
  add(lo);
  add(up);
  if (lo !== undefined) add(oneCodePoint(String.fromCodePoint(lo).toUpperCase()));
  if (up !== undefined) add(oneCodePoint(String.fromCodePoint(up).toLowerCase()));
  for (const x of [...out]) for (const e of EXTRA_FOLDS.get(x) ?? []) add(e);
  return out;
}

/**
 * One element of a character class; `negated` ones (\D, [:^alpha:], \PL) are complements.
 * `folded`: the test already is what case-insensitive matching wants (Unicode classes, which RE2/J
 * folds with its own tables rather than by case-folding orbits).
 */
interface ClassItem {
  test(c: number): boolean;
  negated: boolean;
  folded?: boolean;
}

/** A character predicate for one class or escape, folded when the pattern was case-insensitive there. */
function classPredicate(items: readonly ClassItem[], negated: boolean, fold: boolean): (c: number) => boolean {
  const hit = (c: number): boolean => {
    for (const it of items) {
      // RE2 folds a group before complementing it, so a folded negated group is the complement of
      // the folded group.
      const base = fold && it.folded !== true ? orbit(c).some((x) => it.test(x)) : it.test(c);
      if (it.negated ? !base : base) return true;
    }
    return false;
  };
  return negated ? (c) => !hit(c) : hit;
}

// ---- syntax tree -------------------------------------------------------------------------------

type Assertion = 'beginText' | 'endText' | 'beginLine' | 'endLine' | 'wordBoundary' | 'noWordBoundary';

type Node =
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
class Parser {
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

function concat(items: Node[]): Node {
  if (items.length === 0) return { op: 'empty' };
  return items.length === 1 ? items[0]! : { op: 'concat', subs: items };
}

// ---- program and matching ----------------------------------------------------------------------

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
function run(prog: readonly Inst[], start: number, input: readonly number[]): boolean {
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

/** Compiles an RE2/J pattern; throws Re2SyntaxError as RE2/J's Pattern.compile would (see above). */
export function compileRe2(source: string): Re2Pattern {
  const cps = Array.from(source, (s) => s.codePointAt(0)!);
  const tree = new Parser(cps).parse();
  if (size(tree) + 1 > MAX_INSTRUCTIONS) throw new Re2SyntaxError(ERR_TOO_LARGE);
  const c = new Compiler();
  c.prog.push({ op: 'match' });
  const start = c.emit(tree, 0);
  const prog = c.prog;
  return {
    source,
    test: (s: string) => run(prog, start, Array.from(s, (x) => x.codePointAt(0)!)),
  };
}
