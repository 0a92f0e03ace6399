/**
 * Calico's label selector language (libcalico-go `lib/selector`: tokenizer, parser, ast): `all()`,
 * `global()`, `has(k)`, `k == 'v'`, `k != 'v'`, `k in {...}`, `k not in {...}`, `k contains 'v'`,
 * `k starts with 'v'`, `k ends with 'v'`, `!`, `&&`, `||`, parentheses, single- or double-quoted
 * strings. Same precedence (`!` tightest, then `&&`, then `||`) and evaluation: `k != 'v'` and
 * `k not in {..}` match labels without `k`. Error texts are the tokenizer's and parser's, tokens
 * printed as Go prints them (`TokLabel(zone)`).
 */

export type Labels = Readonly<Record<string, string>>;

export interface Selector {
  /** The selector as written. */
  readonly text: string;
  matches(labels: Labels): boolean;
}

export class SelectorError extends Error {}

/** Token kinds, named as in Go so that error messages can print them. */
type Kind =
  | 'TokLabel'
  | 'TokStringLiteral'
  | 'TokLBrace'
  | 'TokRBrace'
  | 'TokComma'
  | 'TokEq'
  | 'TokNe'
  | 'TokIn'
  | 'TokNot'
  | 'TokNotIn'
  | 'TokContains'
  | 'TokStartsWith'
  | 'TokEndsWith'
  | 'TokAll'
  | 'TokHas'
  | 'TokLParen'
  | 'TokRParen'
  | 'TokAnd'
  | 'TokOr'
  | 'TokGlobal'
  | 'TokEOF';

interface Token {
  kind: Kind;
  value: string;
}

const MAX_LABEL_LENGTH = 512;

const PUNCTUATION: Readonly<Record<string, Kind>> = {
  '(': 'TokLParen',
  ')': 'TokRParen',
  '{': 'TokLBrace',
  '}': 'TokRBrace',
  ',': 'TokComma',
};

/** Operators that may follow a label, tried in the tokenizer's order. */
const LABEL_OPERATORS: readonly [Kind, readonly string[]][] = [
  ['TokContains', ['contains']],
  ['TokStartsWith', ['starts', 'with']],
  ['TokEndsWith', ['ends', 'with']],
  ['TokNotIn', ['not', 'in']],
  ['TokIn', ['in']],
];

function isIdentChar(c: string | undefined): boolean {
  return c !== undefined && /[a-zA-Z0-9_./-]/.test(c);
}

function trimWhitespace(s: string): string {
  let i = 0;
  while (s[i] === ' ' || s[i] === '\t') i++;
  return s.slice(i);
}

function cutIdentifier(s: string): [string, string] {
  let i = 0;
  while (isIdentChar(s[i])) i++;
  const ident = s.slice(0, i);
  if (ident.length > MAX_LABEL_LENGTH) throw new SelectorError(`label too long: ${ident}`);
  if (ident.length === 0) throw new SelectorError('expected identifier');
  return [ident, s.slice(i)];
}

/**
 * Cuts an operator's words (blanks between them optional, so `notin` is `not in`) when a word
 * boundary follows. As in Go, a one-word operator is checked and cut on the untrimmed remainder.
 */
function cutWords(s: string, words: readonly string[]): string | undefined {
  let rest = s;
  for (const w of words) {
    if (!rest.startsWith(w)) return undefined;
    rest = rest.slice(w.length);
    if (words.length > 1) rest = trimWhitespace(rest);
  }
  return isIdentChar(rest[0]) ? undefined : rest;
}

/** Cuts `name(` `)` (with `has` a label inside); undefined when `s` does not start with `name(`. */
function cutCall(s: string, name: 'has' | 'all' | 'global'): [Token, string] | undefined {
  if (!s.startsWith(`${name}(`)) return undefined;
  let rest = trimWhitespace(s.slice(name.length + 1));
  let value = '';
  if (name === 'has') {
    [value, rest] = cutIdentifier(rest);
    rest = trimWhitespace(rest);
  }
  if (!rest.startsWith(')')) throw new SelectorError(`no closing ')' after ${name}(`);
  const kind: Kind = name === 'has' ? 'TokHas' : name === 'all' ? 'TokAll' : 'TokGlobal';
  return [{ kind, value }, rest.slice(1)];
}

function tokenize(input: string): Token[] {
  const toks: Token[] = [];
  const push = (kind: Kind, value = ''): void => void toks.push({ kind, value });
  let s = input;
  for (;;) {
    s = trimWhitespace(s);
    if (s === '') {
      push('TokEOF');
      return toks;
    }
    const c = s[0]!;
    const punctuation = PUNCTUATION[c];
    if (punctuation) {
      push(punctuation);
      s = s.slice(1);
    } else if (c === '"' || c === "'") {
      const end = s.indexOf(c, 1);
      if (end < 0) throw new SelectorError('unterminated string');
      push('TokStringLiteral', s.slice(1, end));
      s = s.slice(end + 1);
    } else if (c === '!') {
      const ne = s.startsWith('!=');
      push(ne ? 'TokNe' : 'TokNot');
      s = s.slice(ne ? 2 : 1);
    } else if (c === '=' || c === '&' || c === '|') {
      const op = c + c;
      if (!s.startsWith(op)) throw new SelectorError(`expected ${op}`);
      push(c === '=' ? 'TokEq' : c === '&' ? 'TokAnd' : 'TokOr');
      s = s.slice(2);
    } else if (toks[toks.length - 1]?.kind === 'TokLabel') {
      const found = LABEL_OPERATORS.find(([, words]) => cutWords(s, words) !== undefined);
      if (!found) {
        const label = toks[toks.length - 1]!.value;
        throw new SelectorError(`expected operator after label ${JSON.stringify(label)}`);
      }
      push(found[0]);
      s = cutWords(s, found[1])!;
    } else {
      const call = cutCall(s, 'has') ?? cutCall(s, 'all') ?? cutCall(s, 'global');
      if (call) {
        toks.push(call[0]);
        s = call[1];
      } else {
        const [ident, rest] = cutIdentifier(s);
        push('TokLabel', ident);
        s = rest;
      }
    }
  }
}

/** Go's `%v` of a Token (its String method). */
const goToken = (t: Token): string => `${t.kind}(${t.value})`;

type Node = (labels: Labels) => boolean;

const valueOf = (labels: Labels, k: string): string | undefined =>
  Object.prototype.hasOwnProperty.call(labels, k) ? labels[k] : undefined;

/** Operators of the form `label OP 'string'`: how they evaluate a present label's value. */
const STRING_OPERATORS: Partial<Record<Kind, (actual: string, v: string) => boolean>> = {
  TokEq: (a, v) => a === v,
  TokNe: (a, v) => a !== v,
  TokContains: (a, v) => a.includes(v),
  TokStartsWith: (a, v) => a.startsWith(v),
  TokEndsWith: (a, v) => a.endsWith(v),
};

class Parser {
  private pos = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(offset = 0): Token {
    return this.toks[this.pos + offset] ?? { kind: 'TokEOF', value: '' };
  }

  parseRoot(): Node {
    const root = this.parseOr();
    if (this.peek().kind !== 'TokEOF') {
      const rest = this.toks.slice(this.pos).map(goToken).join(' ');
      throw new SelectorError(`unexpected content at end of selector [${rest}]`);
    }
    return root;
  }

  private parseOr(): Node {
    const terms = [this.parseAnd()];
    while (this.peek().kind === 'TokOr') {
      this.pos++;
      terms.push(this.parseAnd());
    }
    return terms.length === 1 ? terms[0]! : (l) => terms.some((t) => t(l));
  }

  private parseAnd(): Node {
    const terms = [this.parseOperation()];
    while (this.peek().kind === 'TokAnd') {
      this.pos++;
      terms.push(this.parseOperation());
    }
    return terms.length === 1 ? terms[0]! : (l) => terms.every((t) => t(l));
  }

  private parseOperation(): Node {
    let negated = false;
    while (this.peek().kind === 'TokNot') {
      negated = !negated;
      this.pos++;
    }
    const node = this.parseTerm();
    return negated ? (l) => !node(l) : node;
  }

  private parseTerm(): Node {
    const tok = this.peek();
    switch (tok.kind) {
      case 'TokHas':
        this.pos++;
        return (l) => valueOf(l, tok.value) !== undefined;
      case 'TokAll':
      case 'TokGlobal':
        this.pos++;
        return () => true;
      case 'TokLParen': {
        this.pos++;
        const inner = this.parseOr();
        if (this.peek().kind !== 'TokRParen') throw new SelectorError('expected )');
        this.pos++;
        return inner;
      }
      case 'TokLabel':
        return this.parseLabelOperation(tok.value);
      default:
        throw new SelectorError(`unexpected token: ${goToken(tok)}`);
    }
  }

  private parseLabelOperation(key: string): Node {
    // Go wants the label, an operator and one more token before looking at any of them.
    if (this.pos + 2 >= this.toks.length) throw new SelectorError('unexpected end of string looking for op');
    const op = this.peek(1);
    const operand = this.peek(2);
    const test = STRING_OPERATORS[op.kind];
    if (test) {
      if (operand.kind !== 'TokStringLiteral') throw new SelectorError('expected string');
      this.pos += 3;
      const absent = op.kind === 'TokNe';
      return (l) => {
        const actual = valueOf(l, key);
        return actual === undefined ? absent : test(actual, operand.value);
      };
    }
    if (op.kind !== 'TokIn' && op.kind !== 'TokNotIn') {
      throw new SelectorError(`expected == or != not: ${goToken(op)}`);
    }
    if (operand.kind !== 'TokLBrace') throw new SelectorError('expected set literal');
    this.pos += 3;
    const values = new Set<string>();
    while (this.peek().kind === 'TokStringLiteral') {
      values.add(this.peek().value);
      this.pos++;
      if (this.peek().kind !== 'TokComma') break;
      this.pos++;
    }
    if (this.peek().kind !== 'TokRBrace') throw new SelectorError('expected }');
    this.pos++;
    const inSet = (l: Labels): boolean => {
      const actual = valueOf(l, key);
      return actual !== undefined && values.has(actual);
    };
    return op.kind === 'TokIn' ? inSet : (l) => !inSet(l);
  }
}

/** Parses a selector; the empty selector selects everything (as Calico's parser). */
export function parseSelector(text: string): Selector {
  const toks = tokenize(text);
  if (toks[0]?.kind === 'TokEOF') return { text, matches: () => true };
  return { text, matches: new Parser(toks).parseRoot() };
}
