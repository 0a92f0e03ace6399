/**
 * Calico label selectors (libcalico-go `lib/selector`: tokenizer.go, parser.go, ast.go), enough to
 * decide whether an IP pool's nodeSelector still selects a node (ipam SelectsNode). Same grammar,
 * precedence and evaluation: `!` binds tightest, then `&&`, then `||`; `a != 'x'` and
 * `a not in {..}` match a node without the label; `global()` matches everything.
 */

type Token =
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

export type Labels = Readonly<Record<string, string>>;
type Matcher = (labels: Labels) => boolean;

const isIdentChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_./-]/.test(c);
const MAX_LABEL_LENGTH = 512;

function cutIdentifier(input: string): [string, string] {
  let i = 0;
  while (i < input.length && isIdentChar(input[i])) i++;
  const ident = input.slice(0, i);
  if (ident.length === 0) throw new Error('expected identifier');
  if (ident.length > MAX_LABEL_LENGTH) throw new Error(`label too long: ${ident}`);
  return [ident, input.slice(i)];
}

/** Cuts the words (separated by blanks) when they are followed by a word boundary. */
function cutWords(input: string, ...words: string[]): string | undefined {
  let rest = input;
  for (const word of words) {
    if (!rest.startsWith(word)) return undefined;
    rest = rest.slice(word.length).replace(/^[ \t]+/, '');
  }
  return isIdentChar(rest[0]) ? undefined : rest;
}

function tokenize(selector: string): Token[] {
  const tokens: Token[] = [];
  let input = selector;
  for (;;) {
    input = input.replace(/^[ \t]+/, '');
    if (input === '') {
      tokens.push({ kind: 'eof' });
      return tokens;
    }
    const c = input[0]!;
    const single = { '(': '(', ')': ')', '{': '{', '}': '}', ',': ',' } as const;
    if (c in single) {
      tokens.push({ kind: single[c as keyof typeof single] });
      input = input.slice(1);
    } else if (c === '"' || c === "'") {
      const end = input.indexOf(c, 1);
      if (end < 0) throw new Error('unterminated string');
      tokens.push({ kind: 'string', value: input.slice(1, end) });
      input = input.slice(end + 1);
    } else if (
      input.startsWith('==') ||
      input.startsWith('!=') ||
      input.startsWith('&&') ||
      input.startsWith('||')
    ) {
      tokens.push({ kind: input.slice(0, 2) as '==' | '!=' | '&&' | '||' });
      input = input.slice(2);
    } else if (c === '!') {
      tokens.push({ kind: '!' });
      input = input.slice(1);
    } else if (c === '=' || c === '&' || c === '|') {
      throw new Error(`expected ${c}${c}`);
    } else if (tokens.at(-1)?.kind === 'label') {
      const ops = [['contains'], ['starts', 'with'], ['ends', 'with'], ['not', 'in'], ['in']] as const;
      const op = ops.find((words) => cutWords(input, ...words) !== undefined);
      if (!op)
        throw new Error(`expected operator after label "${(tokens.at(-1) as { value: string }).value}"`);
      input = cutWords(input, ...op)!;
      tokens.push({ kind: op.join(' ') as 'contains' | 'starts with' | 'ends with' | 'not in' | 'in' });
    } else {
      const fn = /^(has|all|global)\(/.exec(input);
      if (fn) {
        input = input.slice(fn[0].length).replace(/^[ \t]+/, '');
        let ident = '';
        if (fn[1] === 'has') {
          [ident, input] = cutIdentifier(input);
          input = input.replace(/^[ \t]+/, '');
        }
        if (!input.startsWith(')')) throw new Error(`no closing ')' after ${fn[1]}(`);
        input = input.slice(1);
        tokens.push(fn[1] === 'has' ? { kind: 'has', value: ident } : { kind: fn[1] as 'all' | 'global' });
      } else {
        const [ident, rest] = cutIdentifier(input);
        tokens.push({ kind: 'label', value: ident });
        input = rest;
      }
    }
  }
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos] ?? { kind: 'eof' };
  }
  private next(): Token {
    return this.tokens[this.pos++] ?? { kind: 'eof' };
  }

  root(): Matcher {
    if (this.peek().kind === 'eof') return () => true;
    const m = this.or();
    if (this.peek().kind !== 'eof') throw new Error('unexpected content at end of selector');
    return m;
  }

  private or(): Matcher {
    const parts = [this.and()];
    while (this.peek().kind === '||') {
      this.next();
      parts.push(this.and());
    }
    return parts.length === 1 ? parts[0]! : (l) => parts.some((p) => p(l));
  }

  private and(): Matcher {
    const parts = [this.operation()];
    while (this.peek().kind === '&&') {
      this.next();
      parts.push(this.operation());
    }
    return parts.length === 1 ? parts[0]! : (l) => parts.every((p) => p(l));
  }

  private operation(): Matcher {
    let negated = false;
    while (this.peek().kind === '!') {
      this.next();
      negated = !negated;
    }
    const m = this.term();
    return negated ? (l) => !m(l) : m;
  }

  private string(): string {
    const t = this.next();
    if (t.kind !== 'string') throw new Error('expected string');
    return t.value;
  }

  private term(): Matcher {
    const t = this.next();
    switch (t.kind) {
      case 'has':
        return (l) => Object.hasOwn(l, t.value);
      case 'all':
      case 'global':
        return () => true;
      case '(': {
        const m = this.or();
        if (this.next().kind !== ')') throw new Error('expected )');
        return m;
      }
      case 'label':
        return this.comparison(t.value);
      case 'eof':
        throw new Error('unexpected end of string looking for op');
      default:
        throw new Error(`unexpected token: ${t.kind}`);
    }
  }

  private comparison(label: string): Matcher {
    const op = this.next();
    const get = (l: Labels): string | undefined => (Object.hasOwn(l, label) ? l[label] : undefined);
    switch (op.kind) {
      case '==': {
        const v = this.string();
        return (l) => get(l) === v;
      }
      case '!=': {
        const v = this.string();
        return (l) => get(l) !== v;
      }
      case 'contains': {
        const v = this.string();
        return (l) => get(l)?.includes(v) ?? false;
      }
      case 'starts with': {
        const v = this.string();
        return (l) => get(l)?.startsWith(v) ?? false;
      }
      case 'ends with': {
        const v = this.string();
        return (l) => get(l)?.endsWith(v) ?? false;
      }
      case 'in':
      case 'not in': {
        if (this.next().kind !== '{') throw new Error('expected set literal');
        const values = new Set<string>();
        while (this.peek().kind === 'string') {
          values.add(this.string());
          if (this.peek().kind !== ',') break;
          this.next();
        }
        if (this.next().kind !== '}') throw new Error('expected }');
        const inSet = (l: Labels): boolean => {
          const v = get(l);
          return v !== undefined && values.has(v);
        };
        return op.kind === 'in' ? inSet : (l) => !inSet(l);
      }
      default:
        throw new Error(`expected == or != not: ${op.kind}`);
    }
  }
}

/** Parses a selector; throws Error with Calico's message on bad syntax. */
export function parseSelector(selector: string): Matcher {
  return new Parser(tokenize(selector)).root();
}

/** SelectsNode: an empty nodeSelector selects every node. */
export function selectsNode(nodeSelector: string | undefined, labels: Labels): boolean {
  if (!nodeSelector) return true;
  return parseSelector(nodeSelector)(labels);
}
