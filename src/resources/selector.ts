/**
 * Calico's label selector language (libcalico-go `lib/selector`: tokenizer, parser, ast), enough to
 * decide which nodes an IPPool's nodeSelector selects: `all()`, `global()`, `has(k)`, `k == 'v'`,
 * `k != 'v'`, `k in {...}`, `k not in {...}`, `k contains 'v'`, `k starts with 'v'`,
 * `k ends with 'v'`, `!`, `&&`, `||` and parentheses. Error texts are the parser's.
 */

export type Labels = Readonly<Record<string, string>>;

export interface Selector {
  /** The selector as written. */
  readonly text: string;
  matches(labels: Labels): boolean;
}

export class SelectorError extends Error {}

type Tok =
  | { kind: 'label' | 'string' | 'has'; value: string }
  | {
      kind:
        | '('
        | ')'
        | '{'
        | '}'
        | ','
        | '=='
        | '!='
        | '!'
        | '&&'
        | '||'
        | 'in'
        | 'not in'
        | 'contains'
        | 'starts with'
        | 'ends with'
        | 'all'
        | 'global'
        | 'eof';
    };

const MAX_LABEL_LENGTH = 512;

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

/** Cuts the words (separated by optional whitespace) when a word boundary follows the last. */
function cutWords(s: string, ...words: string[]): string | undefined {
  let rest = s;
  for (const w of words) {
    if (!rest.startsWith(w)) return undefined;
    rest = trimWhitespace(rest.slice(w.length));
  }
  // The tokenizer checks the boundary on the untrimmed remainder of a one-word operator.
  if (words.length === 1) rest = s.slice(words[0]!.length);
  return isIdentChar(rest[0]) ? undefined : rest;
}

function tokenize(input: string): Tok[] {
  const toks: Tok[] = [];
  let s = input;
  for (;;) {
    s = trimWhitespace(s);
    if (s === '') {
      toks.push({ kind: 'eof' });
      return toks;
    }
    const c = s[0]!;
    if (c === '(' || c === ')' || c === '{' || c === '}' || c === ',') {
      toks.push({ kind: c });
      s = s.slice(1);
    } else if (c === '"' || c === "'") {
      const end = s.indexOf(c, 1);
      if (end < 0) throw new SelectorError('unterminated string');
      toks.push({ kind: 'string', value: s.slice(1, end) });
      s = s.slice(end + 1);
    } else if (c === '=') {
      if (!s.startsWith('==')) throw new SelectorError('expected ==');
      toks.push({ kind: '==' });
      s = s.slice(2);
    } else if (c === '!') {
      if (s.startsWith('!=')) {
        toks.push({ kind: '!=' });
        s = s.slice(2);
      } else {
        toks.push({ kind: '!' });
        s = s.slice(1);
      }
    } else if (c === '&' || c === '|') {
      const op = c === '&' ? '&&' : '||';
      if (!s.startsWith(op)) throw new SelectorError(`expected ${op}`);
      toks.push({ kind: op });
      s = s.slice(2);
    } else if (toks[toks.length - 1]?.kind === 'label') {
      const ops: [Tok['kind'], string[]][] = [
        ['contains', ['contains']],
        ['starts with', ['starts', 'with']],
        ['ends with', ['ends', 'with']],
        ['not in', ['not', 'in']],
        ['in', ['in']],
      ];
      const found = ops.find(([, words]) => cutWords(s, ...words) !== undefined);
      if (!found) {
        const last = toks[toks.length - 1] as { value: string };
        throw new SelectorError(`expected operator after label ${JSON.stringify(last.value)}`);
      }
      toks.push({ kind: found[0] } as Tok);
      s = cutWords(s, ...found[1])!;
    } else if (s.startsWith('has(')) {
      const [ident, rest] = cutIdentifier(trimWhitespace(s.slice(4)));
      const after = trimWhitespace(rest);
      if (!after.startsWith(')')) throw new SelectorError("no closing ')' after has(");
      toks.push({ kind: 'has', value: ident });
      s = after.slice(1);
    } else if (s.startsWith('all(') || s.startsWith('global(')) {
      const name = s.startsWith('all(') ? 'all' : 'global';
      const after = trimWhitespace(s.slice(name.length + 1));
      if (!after.startsWith(')')) throw new SelectorError(`no closing ')' after ${name}(`);
      toks.push({ kind: name });
      s = after.slice(1);
    } else {
      const [ident, rest] = cutIdentifier(s);
      toks.push({ kind: 'label', value: ident });
      s = rest;
    }
  }
}

type Node = (labels: Labels) => boolean;

const has = (labels: Labels, k: string): boolean => Object.prototype.hasOwnProperty.call(labels, k);

class Parser {
  private pos = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.pos] ?? { kind: 'eof' };
  }

  parseOr(): Node {
    const terms = [this.parseAnd()];
    while (this.peek().kind === '||') {
      this.pos++;
      terms.push(this.parseAnd());
    }
    return terms.length === 1 ? terms[0]! : (l) => terms.some((t) => t(l));
  }

  private parseAnd(): Node {
    const terms = [this.parseOperation()];
    while (this.peek().kind === '&&') {
      this.pos++;
      terms.push(this.parseOperation());
    }
    return terms.length === 1 ? terms[0]! : (l) => terms.every((t) => t(l));
  }

  private parseOperation(): Node {
    let negated = false;
    while (this.peek().kind === '!') {
      negated = !negated;
      this.pos++;
    }
    const node = this.parseTerm();
    return negated ? (l) => !node(l) : node;
  }

  private stringAt(offset: number): string {
    const t = this.toks[this.pos + offset];
    if (t?.kind !== 'string') throw new SelectorError('expected string');
    return t.value;
  }

  private parseTerm(): Node {
    const tok = this.peek();
    switch (tok.kind) {
      case 'has': {
        this.pos++;
        return (l) => has(l, tok.value);
      }
      case 'all':
      case 'global':
        this.pos++;
        return () => true;
      case '(': {
        this.pos++;
        const inner = this.parseOr();
        if (this.peek().kind !== ')') throw new SelectorError('expected )');
        this.pos++;
        return inner;
      }
      case 'label':
        return this.parseLabelOp(tok.value);
      case 'eof':
        throw new SelectorError('unexpected end of string looking for op');
      default:
        throw new SelectorError(`unexpected token: ${tok.kind}`);
    }
  }

  private parseLabelOp(key: string): Node {
    const op = this.toks[this.pos + 1];
    if (!op || op.kind === 'eof' || this.toks[this.pos + 2] === undefined) {
      throw new SelectorError('unexpected end of string looking for op');
    }
    const valueOp = (test: (actual: string, v: string) => boolean, absent: boolean): Node => {
      const v = this.stringAt(2);
      this.pos += 3;
      return (l) => (has(l, key) ? test(l[key]!, v) : absent);
    };
    switch (op.kind) {
      case '==':
        return valueOp((a, v) => a === v, false);
      case '!=':
        return valueOp((a, v) => a !== v, true);
      case 'contains':
        return valueOp((a, v) => a.includes(v), false);
      case 'starts with':
        return valueOp((a, v) => a.startsWith(v), false);
      case 'ends with':
        return valueOp((a, v) => a.endsWith(v), false);
      case 'in':
      case 'not in': {
        if (this.toks[this.pos + 2]?.kind !== '{') throw new SelectorError('expected set literal');
        this.pos += 3;
        const values = new Set<string>();
        while (this.peek().kind === 'string') {
          values.add((this.peek() as { value: string }).value);
          this.pos++;
          if (this.peek().kind !== ',') break;
          this.pos++;
        }
        if (this.peek().kind !== '}') throw new SelectorError('expected }');
        this.pos++;
        return op.kind === 'in'
          ? (l) => has(l, key) && values.has(l[key]!)
          : (l) => !has(l, key) || !values.has(l[key]!);
      }
      default:
        throw new SelectorError(`expected == or != not: ${op.kind}`);
    }
  }

  atEnd(): boolean {
    return this.peek().kind === 'eof';
  }
}

/** Parses a selector; the empty selector selects everything (as Calico's parser). */
export function parseSelector(text: string): Selector {
  const toks = tokenize(text);
  if (toks[0]?.kind === 'eof') return { text, matches: () => true };
  const parser = new Parser(toks);
  const root = parser.parseOr();
  if (!parser.atEnd()) throw new SelectorError('unexpected content at end of selector');
  return { text, matches: root };
}
