/**
 * Character sets of RE2/J's syntax (part of re2.ts): Perl and POSIX classes, Unicode categories
 * and scripts by RE2/J's names, case-folding orbits, and the predicate one class compiles to.
 */
/** Inclusive code point ranges [lo0, hi0, lo1, hi1, ...]. */
export type Ranges = readonly number[];

export const inRanges = (r: Ranges, c: number): boolean => {
  for (let i = 0; i < r.length; i += 2) if (c >= r[i]! && c <= r[i + 1]!) return true;
  return false;
};

export const PERL_GROUPS: Record<string, { sign: 1 | -1; ranges: Ranges }> = {
  d: { sign: 1, ranges: [0x30, 0x39] },
  D: { sign: -1, ranges: [0x30, 0x39] },
  s: { sign: 1, ranges: [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20] },
  S: { sign: -1, ranges: [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20] },
  w: { sign: 1, ranges: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a] },
  W: { sign: -1, ranges: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a] },
};

export const POSIX_GROUPS: Record<string, Ranges> = {
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
export const CATEGORIES = new Set('C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(' '));
export const SCRIPTS = new Set(
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

export const unicodeTests = new Map<string, (c: number) => boolean>();

/** Membership in a Unicode category or script by RE2/J's name, or undefined for a name it lacks. */
export function unicodeTable(name: string): ((c: number) => boolean) | undefined {
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
export const FOLD_TABLES = new Set(['Ll', 'Lt', 'Lu', 'Mn', 'Common', 'Greek', 'Inherited']);
export const ASCII_FOLD_EXTRAS: Readonly<Record<string, Ranges>> = { Ll: [0x4b, 0x4b, 0x53, 0x53], Lu: [0x61, 0x7a] };

export function foldExtra(name: string, table: (c: number) => boolean, c: number): boolean {
  if (c < 0x80) return inRanges(ASCII_FOLD_EXTRAS[name] ?? [], c);
  return orbit(c).some((x) => x !== c && table(x));
}

/** Case folding pairs outside what toLowerCase/toUpperCase of one code point give. */
export const EXTRA_FOLDS: ReadonlyMap<number, readonly number[]> = new Map([
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

export const oneCodePoint = (s: string): number | undefined => {
  const c = s.codePointAt(0);
  return c !== undefined && s.length === String.fromCodePoint(c).length ? c : undefined;
};

/** The code points case-fold-equivalent to c (c included): RE2's simple folding orbit. */
export function orbit(c: number): number[] {
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
export interface ClassItem {
  test(c: number): boolean;
  negated: boolean;
  folded?: boolean;
}

/** A character predicate for one class or escape, folded when the pattern was case-insensitive there. */
export function classPredicate(items: readonly ClassItem[], negated: boolean, fold: boolean): (c: number) => boolean {
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
