import {
  type BinaryOp,
  type Expr,
  LitmusSyntaxError,
  type LitmusTest,
  type Loc,
  type Proc,
  type Prop,
  type Stmt,
  type Value,
  type VarDecl,
} from './ast.ts';

/**
 * Parser for the kernel's C litmus tests (the grammar checklist of ../shared/litmus/NOTES.md §4).
 * Comments: `//` and `/* *\/` everywhere, OCaml `(* *)` everywhere except that `(*` followed by
 * something other than white space or `*` is C (`WRITE_ONCE(*x, 1)`). Every error names the file,
 * the line and the construct.
 */

interface Token {
  readonly kind: 'id' | 'num' | 'punct' | 'eof';
  readonly text: string;
  readonly line: number;
}

const PUNCT2 = ['/\\', '\\/', '==', '!=', '<=', '>=', '&&', '||', '<<', '>>', '->', '++', '--'];
const PUNCT1 = '{}()[];,*&=<>+-!~:.|^/%?';

function lex(text: string, file: string, firstLine: number): Token[] {
  const out: Token[] = [];
  let line = firstLine;
  let i = 0;
  const n = text.length;
  const fail = (detail: string): never => {
    throw new LitmusSyntaxError(file, line, detail);
  };
  while (i < n) {
    const ch = text[i]!;
    if (ch === '\n') {
      line++;
      i++;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f') {
      i++;
      continue;
    }
    if (ch === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (ch === '/' && text[i + 1] === '*') {
      const start = line;
      i += 2;
      while (i < n && !(text[i] === '*' && text[i + 1] === '/')) {
        if (text[i] === '\n') line++;
        i++;
      }
      if (i >= n) {
        line = start;
        fail('unterminated /* comment');
      }
      i += 2;
      continue;
    }
    if (ch === '(' && text[i + 1] === '*' && /[\s*)]/.test(text[i + 2] ?? ' ')) {
      const start = line;
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (text[i] === '\n') line++;
        if (text[i] === '(' && text[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (text[i] === '*' && text[i + 1] === ')') {
          depth--;
          i += 2;
        } else i++;
      }
      if (depth > 0) {
        line = start;
        fail('unterminated (* comment');
      }
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(text[j]!)) j++;
      out.push({ kind: 'id', text: text.slice(i, j), line });
      i = j;
      continue;
    }
    if (/[0-9]/.test(ch)) {
      let j = i + 1;
      while (j < n && /[0-9A-Fa-fxX]/.test(text[j]!)) j++;
      const t = text.slice(i, j);
      if (!/^(0[xX][0-9A-Fa-f]+|[0-9]+)$/.test(t)) fail(`bad number '${t}'`);
      out.push({ kind: 'num', text: t, line });
      i = j;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (PUNCT2.includes(two)) {
      out.push({ kind: 'punct', text: two, line });
      i += 2;
      continue;
    }
    if (PUNCT1.includes(ch)) {
      out.push({ kind: 'punct', text: ch, line });
      i++;
      continue;
    }
    fail(`unexpected character '${ch}'`);
  }
  out.push({ kind: 'eof', text: 'end of file', line });
  return out;
}

/** C type words that start a declaration or a cast. */
const TYPE_WORDS = new Set([
  'int',
  'long',
  'short',
  'char',
  'unsigned',
  'signed',
  'bool',
  '_Bool',
  'u8',
  'u16',
  'u32',
  'u64',
  's8',
  's16',
  's32',
  's64',
  'intptr_t',
  'uintptr_t',
  'atomic_t',
  'atomic_long_t',
  'spinlock_t',
  'void',
  'const',
  'volatile',
  'struct',
]);

const UNSUPPORTED_STMT = new Set(['while', 'for', 'do', 'goto', 'switch', 'return', 'break', 'continue']);

class Parser {
  private pos = 0;

  constructor(
    private readonly toks: Token[],
    private readonly file: string,
  ) {}

  private peek(k = 0): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }

  fail(detail: string, t: Token = this.peek()): never {
    throw new LitmusSyntaxError(this.file, t.line, detail);
  }

  private is(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind !== 'eof' && t.text === text;
  }

  private accept(text: string): boolean {
    if (this.is(text)) {
      this.next();
      return true;
    }
    return false;
  }

  private expect(text: string, what: string): Token {
    if (!this.is(text)) this.fail(`expected '${text}' ${what}, found '${this.peek().text}'`);
    return this.next();
  }

  private ident(what: string): Token {
    const t = this.peek();
    if (t.kind !== 'id') this.fail(`expected ${what}, found '${t.text}'`);
    return this.next();
  }

  atEnd(): boolean {
    return this.peek().kind === 'eof';
  }

  // ---- init block ------------------------------------------------------------------------

  parseInit(vars: Map<string, VarDecl>, regInits: LitmusTest['regInits'][number][]): void {
    this.expect('{', 'opening the init block');
    while (!this.accept('}')) {
      if (this.atEnd()) this.fail("unterminated init block: missing '}'");
      if (this.accept(';')) continue;
      const start = this.peek();
      if (start.kind === 'num' && this.is(':', 1)) {
        const proc = Number(this.next().text);
        this.next();
        const reg = this.ident('a register name').text;
        this.expect('=', `after ${proc}:${reg} in the init block`);
        regInits.push({ proc, reg, value: this.initValue() });
        this.expect(';', 'after an init item');
        continue;
      }
      let lock = false;
      const words: Token[] = [];
      while (!this.is('=') && !this.is(';')) {
        if (this.atEnd()) this.fail("unterminated init item: missing ';'");
        const t = this.next();
        if (t.text === 'spinlock_t') lock = true;
        if (t.kind === 'id') words.push(t);
        else if (t.text !== '*') this.fail(`unexpected '${t.text}' in an init declaration`, t);
      }
      const nameTok = words[words.length - 1];
      if (!nameTok || TYPE_WORDS.has(nameTok.text)) this.fail('init item without a variable name', start);
      const init: Value = this.accept('=') ? this.initValue() : { kind: 'int', value: 0 };
      this.expect(';', `after the init item for '${nameTok.text}'`);
      vars.set(nameTok.text, { name: nameTok.text, init, lock, line: nameTok.line });
    }
  }

  private initValue(): Value {
    if (this.accept('&')) return { kind: 'addr', name: this.ident('a variable after &').text };
    if (this.is('ATOMIC_INIT')) {
      this.next();
      this.expect('(', 'after ATOMIC_INIT');
      const v = this.intLiteral();
      this.expect(')', 'closing ATOMIC_INIT(');
      return { kind: 'int', value: v };
    }
    if (this.peek().kind === 'id') {
      const name = this.next().text;
      if (name === 'NULL') return { kind: 'int', value: 0 };
      return { kind: 'addr', name };
    }
    return { kind: 'int', value: this.intLiteral() };
  }

  private intLiteral(): number {
    const neg = this.accept('-');
    const t = this.peek();
    if (t.kind !== 'num') this.fail(`expected a number, found '${t.text}'`);
    this.next();
    const v = Number(t.text);
    return neg ? -v : v;
  }

  // ---- processes --------------------------------------------------------------------------

  isProcStart(): boolean {
    const t = this.peek();
    return t.kind === 'id' && /^P[0-9]+$/.test(t.text) && this.is('(', 1);
  }

  parseProc(vars: Map<string, VarDecl>): Proc {
    const head = this.next();
    const index = Number(head.text.slice(1));
    this.expect('(', `after ${head.text}`);
    const params: string[] = [];
    while (!this.accept(')')) {
      if (this.atEnd()) this.fail(`unterminated parameter list of ${head.text}`, head);
      let lock = false;
      const words: Token[] = [];
      while (!this.is(',') && !this.is(')')) {
        if (this.atEnd()) this.fail(`unterminated parameter list of ${head.text}`, head);
        const t = this.next();
        if (t.text === 'spinlock_t') lock = true;
        if (t.kind === 'id') words.push(t);
        else if (t.text !== '*') this.fail(`unexpected '${t.text}' in the parameters of ${head.text}`, t);
      }
      const nameTok = words[words.length - 1];
      if (!nameTok) this.fail(`empty parameter in ${head.text}`);
      params.push(nameTok.text);
      const known = vars.get(nameTok.text);
      if (!known)
        vars.set(nameTok.text, {
          name: nameTok.text,
          init: { kind: 'int', value: 0 },
          lock,
          line: nameTok.line,
        });
      else if (lock && !known.lock) vars.set(nameTok.text, { ...known, lock: true });
      this.accept(',');
    }
    this.expect('{', `opening the body of ${head.text}`);
    const body = this.block(head);
    return { index, params, body, line: head.line };
  }

  /** Statements up to the closing '}' (consumed). */
  private block(open: Token): Stmt[] {
    const out: Stmt[] = [];
    while (!this.accept('}')) {
      if (this.atEnd()) this.fail(`unterminated block: missing '}' for the '{' of line ${open.line}`, open);
      out.push(...this.stmt());
    }
    return out;
  }

  private stmt(): Stmt[] {
    const t = this.peek();
    if (this.accept(';')) return [];
    if (t.text === '{' && t.kind === 'punct') {
      this.next();
      return this.block(t);
    }
    if (t.kind === 'id' && t.text === 'if') {
      this.next();
      this.expect('(', 'after if');
      const cond = this.expr();
      this.expect(')', 'closing the if condition');
      const then = this.stmt();
      let els: Stmt[] = [];
      if (this.accept('else')) els = this.stmt();
      return [{ kind: 'if', cond, then, else: els, line: t.line }];
    }
    if (t.kind === 'id' && UNSUPPORTED_STMT.has(t.text)) {
      this.fail(`unsupported statement '${t.text}': litmus tests have no loops or jumps`);
    }
    if (t.kind === 'id' && TYPE_WORDS.has(t.text) && !(this.is('(', 1) && t.text === 'void')) {
      return this.declaration();
    }
    if (t.kind === 'id' && this.is('=', 1)) {
      this.next();
      this.next();
      const value = this.expr();
      this.expect(';', `after the assignment to ${t.text}`);
      return [{ kind: 'assign', target: t.text, value, line: t.line }];
    }
    if (t.text === '*' && t.kind === 'punct') {
      const lhs = this.unary();
      if (this.accept('=')) {
        if (lhs.kind !== 'deref') this.fail('unsupported assignment target', t);
        const value = this.expr();
        this.expect(';', 'after a store');
        return [{ kind: 'store', address: lhs.address, value, line: t.line }];
      }
      this.expect(';', 'after an expression statement');
      return [{ kind: 'expr', expr: lhs, line: t.line }];
    }
    const e = this.expr();
    if (this.is('=')) this.fail('unsupported assignment target: only registers and *pointer can be assigned');
    this.expect(';', 'after a statement');
    return [{ kind: 'expr', expr: e, line: t.line }];
  }

  private declaration(): Stmt[] {
    while (this.peek().kind === 'id' && TYPE_WORDS.has(this.peek().text)) {
      const w = this.next().text;
      if (w === 'struct') this.ident('a struct name');
    }
    const out: Stmt[] = [];
    for (;;) {
      while (this.accept('*')) {}
      const nameTok = this.ident('a register name in a declaration');
      const init = this.accept('=') ? this.expr() : undefined;
      out.push({ kind: 'decl', name: nameTok.text, init, line: nameTok.line });
      if (!this.accept(',')) break;
    }
    this.expect(';', 'after a declaration');
    return out;
  }

  // ---- expressions ------------------------------------------------------------------------

  expr(): Expr {
    return this.binary(0);
  }

  private static readonly LEVELS: readonly (readonly BinaryOp[])[] = [
    ['||'],
    ['&&'],
    ['|'],
    ['^'],
    ['&'],
    ['==', '!='],
    ['<', '<=', '>', '>='],
    ['<<', '>>'],
    ['+', '-'],
    ['*', '/', '%'],
  ];

  private binary(level: number): Expr {
    if (level >= Parser.LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    const ops = Parser.LEVELS[level]!;
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'punct' || !(ops as readonly string[]).includes(t.text)) return left;
      this.next();
      const right = this.binary(level + 1);
      left = { kind: 'binary', op: t.text as BinaryOp, left, right };
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.kind === 'punct') {
      if (t.text === '-' || t.text === '!' || t.text === '~') {
        this.next();
        const arg = this.unary();
        if (t.text === '-' && arg.kind === 'int') return { kind: 'int', value: -arg.value };
        return { kind: 'unary', op: t.text, arg };
      }
      if (t.text === '*') {
        this.next();
        return { kind: 'deref', address: this.unary() };
      }
      if (t.text === '&') {
        this.next();
        return { kind: 'addr', name: this.ident('a variable after &').text };
      }
      if (t.text === '(' && this.peek(1).kind === 'id' && TYPE_WORDS.has(this.peek(1).text)) {
        this.next();
        while (!this.accept(')')) {
          if (this.atEnd()) this.fail('unterminated cast', t);
          this.next();
        }
        return this.unary();
      }
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.next();
    if (t.kind === 'num') return { kind: 'int', value: Number(t.text) };
    if (t.kind === 'id') {
      if (this.accept('(')) {
        const args: Expr[] = [];
        if (!this.accept(')')) {
          for (;;) {
            args.push(this.expr());
            if (this.accept(')')) break;
            this.expect(',', `between the arguments of ${t.text}()`);
          }
        }
        return { kind: 'call', name: t.text, args, line: t.line };
      }
      if (this.is('->') || this.is('.') || this.is('['))
        this.fail(`unsupported '${this.peek().text}' after ${t.text}`);
      return { kind: 'name', name: t.text };
    }
    if (t.text === '(') {
      const e = this.expr();
      this.expect(')', 'closing a parenthesis');
      return e;
    }
    this.fail(`expected an expression, found '${t.text}'`, t);
  }

  // ---- final-state clauses ----------------------------------------------------------------

  parseLocations(): Loc[] {
    this.expect('[', 'after locations');
    const out: Loc[] = [];
    while (!this.accept(']')) {
      if (this.atEnd()) this.fail("unterminated locations: missing ']'");
      if (this.accept(';')) continue;
      out.push(this.loc());
    }
    return out;
  }

  private loc(): Loc {
    const t = this.peek();
    if (t.kind === 'num' && this.is(':', 1)) {
      this.next();
      this.next();
      return { kind: 'reg', proc: Number(t.text), reg: this.ident('a register name').text };
    }
    if (this.accept('[')) {
      const name = this.ident('a variable name').text;
      this.expect(']', `after [${name}`);
      return { kind: 'var', name };
    }
    if (t.kind === 'id') {
      this.next();
      return { kind: 'var', name: t.text };
    }
    this.fail(`expected a location (var, [var] or N:reg), found '${t.text}'`);
  }

  prop(): Prop {
    let left = this.conj();
    while (this.accept('\\/')) left = { kind: 'or', left, right: this.conj() };
    return left;
  }

  private conj(): Prop {
    let left = this.neg();
    while (this.accept('/\\')) left = { kind: 'and', left, right: this.neg() };
    return left;
  }

  private neg(): Prop {
    if (this.accept('~') || this.accept('not')) return { kind: 'not', arg: this.neg() };
    if (this.accept('(')) {
      const p = this.prop();
      this.expect(')', 'closing a parenthesis in a condition');
      return p;
    }
    if (this.accept('true')) return { kind: 'true' };
    if (this.accept('false')) return { kind: 'false' };
    const loc = this.loc();
    let negated = false;
    if (this.accept('!=')) negated = true;
    else if (!this.accept('=') && !this.accept('=='))
      this.fail(`expected '=' after ${loc.kind === 'var' ? loc.name : `${loc.proc}:${loc.reg}`}`);
    const t = this.peek();
    let value: Value | Loc;
    if (t.kind === 'num' && this.is(':', 1)) value = this.loc();
    else if (t.kind === 'id') value = { kind: 'addr', name: this.next().text };
    else value = { kind: 'int', value: this.intLiteral() };
    return { kind: 'eq', loc, value, negated };
  }

  clauses(): Pick<LitmusTest, 'locations' | 'filter' | 'quantifier' | 'condition'> {
    let locations: Loc[] = [];
    let filter: Prop | undefined;
    let quantifier: LitmusTest['quantifier'] | undefined;
    let condition: Prop | undefined;
    while (!this.atEnd()) {
      const t = this.peek();
      if (t.text === 'locations') {
        this.next();
        locations = locations.concat(this.parseLocations());
      } else if (t.text === 'filter') {
        this.next();
        filter = this.prop();
      } else if (t.text === 'exists' || t.text === 'forall' || (t.text === '~' && this.is('exists', 1))) {
        if (quantifier) this.fail('a second final condition', t);
        if (t.text === '~') this.next();
        this.next();
        quantifier = t.text === 'forall' ? 'forall' : t.text === '~' ? 'not exists' : 'exists';
        condition = this.prop();
      } else if (this.isProcStart()) {
        this.fail(`process ${t.text} after the final condition`, t);
      } else {
        this.fail(`unexpected '${t.text}' after the processes (expected locations, filter or exists)`, t);
      }
    }
    if (!quantifier || !condition) this.fail('missing final condition (exists, ~exists or forall)');
    return { locations, filter, quantifier, condition };
  }
}

/** Parses one C litmus file; throws LitmusSyntaxError naming the file and line. */
export function parseLitmus(text: string, file: string): LitmusTest {
  const lines = text.split('\n');
  let first = 0;
  while (first < lines.length && lines[first]!.trim() === '') first++;
  const head = lines[first];
  if (head === undefined) throw new LitmusSyntaxError(file, 1, 'empty file: expected a "C <name>" line');
  const m = /^\s*(\S+)\s+(\S+)/.exec(head);
  if (!m) throw new LitmusSyntaxError(file, first + 1, 'expected a "C <name>" line');
  if (m[1] !== 'C') {
    throw new LitmusSyntaxError(
      file,
      first + 1,
      `not a C litmus test (architecture '${m[1]}'; only C is supported)`,
    );
  }
  const name = m[2]!;
  const result = /Result:\s*([A-Za-z]+)/.exec(text)?.[1];
  const body = lines.slice(first + 1).join('\n');
  const p = new Parser(lex(body, file, first + 2), file);
  const vars = new Map<string, VarDecl>();
  const regInits: LitmusTest['regInits'][number][] = [];
  p.parseInit(vars, regInits);
  const procs: Proc[] = [];
  while (p.isProcStart()) {
    const proc = p.parseProc(vars);
    if (proc.index !== procs.length) p.fail(`expected P${procs.length}, found P${proc.index}`);
    procs.push(proc);
  }
  if (procs.length === 0) p.fail('expected a process P0(...) { ... }');
  const clauses = p.clauses();
  return { name, file, result, vars: [...vars.values()], procs, regInits, ...clauses };
}
