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
import { ERR_TOO_LARGE, Parser, Re2SyntaxError } from './re2-parse.js';
import { compileTree, run } from './re2-nfa.js';

export { MAX_DEPTH, Re2SyntaxError } from './re2-parse.js';
export { MAX_INSTRUCTIONS } from './re2-nfa.js';

export interface Re2Pattern {
  readonly source: string;
  /** Whether the whole string matches (RE2/J `matcher(s).matches()`). */
  test(s: string): boolean;
}

/** Compiles an RE2/J pattern; throws Re2SyntaxError as RE2/J's Pattern.compile would (see above). */
export function compileRe2(source: string): Re2Pattern {
  const cps = Array.from(source, (s) => s.codePointAt(0)!);
  const compiled = compileTree(new Parser(cps).parse());
  if (!compiled) throw new Re2SyntaxError(ERR_TOO_LARGE);
  const { prog, start } = compiled;
  return {
    source,
    test: (s: string) => run(prog, start, Array.from(s, (x) => x.codePointAt(0)!)),
  };
}
