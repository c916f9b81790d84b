/**
 * The C litmus format of the Linux kernel (tools/memory-model/litmus-tests, herd7's "C" tests),
 * parsed: a name, the initial values, one program per CPU, and the final-state clauses.
 */

export interface LitmusTest {
  readonly name: string;
  readonly file: string;
  /** The `Result:` line of the leading comment (Never, Sometimes, DEADLOCK ...), if any. */
  readonly result: string | undefined;
  /** Shared variables in order of first mention, with their initial value. */
  readonly vars: readonly VarDecl[];
  readonly procs: readonly Proc[];
  /** Register initialisers from the init block (`0:r1=2;`), rare. */
  readonly regInits: readonly { readonly proc: number; readonly reg: string; readonly value: Value }[];
  readonly locations: readonly Loc[];
  readonly filter: Prop | undefined;
  readonly quantifier: 'exists' | 'not exists' | 'forall';
  readonly condition: Prop;
}

/** A value in the init block or a proposition: an integer or the address of a variable. */
export type Value =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'addr'; readonly name: string };

export interface VarDecl {
  readonly name: string;
  readonly init: Value;
  /** `spinlock_t`: a lock (0 free, holder+1 held). */
  readonly lock: boolean;
  readonly line: number;
}

export interface Proc {
  readonly index: number;
  readonly params: readonly string[];
  readonly body: readonly Stmt[];
  readonly line: number;
}

export type Stmt =
  | { readonly kind: 'decl'; readonly name: string; readonly init: Expr | undefined; readonly line: number }
  | { readonly kind: 'assign'; readonly target: string; readonly value: Expr; readonly line: number }
  | { readonly kind: 'store'; readonly address: Expr; readonly value: Expr; readonly line: number }
  | { readonly kind: 'expr'; readonly expr: Expr; readonly line: number }
  | {
      readonly kind: 'if';
      readonly cond: Expr;
      readonly then: readonly Stmt[];
      readonly else: readonly Stmt[];
      readonly line: number;
    };

export type Expr =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'name'; readonly name: string }
  /** `*e`: a plain load (as an rvalue) */
  | { readonly kind: 'deref'; readonly address: Expr }
  | { readonly kind: 'addr'; readonly name: string }
  | { readonly kind: 'unary'; readonly op: '-' | '!' | '~'; readonly arg: Expr }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Expr[]; readonly line: number };

export type BinaryOp =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '&'
  | '|'
  | '^'
  | '<<'
  | '>>'
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '&&'
  | '||';

/** A location of the final state: a shared variable or a CPU's register. */
export type Loc =
  | { readonly kind: 'var'; readonly name: string }
  | { readonly kind: 'reg'; readonly proc: number; readonly reg: string };

export type Prop =
  | { readonly kind: 'true' }
  | { readonly kind: 'false' }
  | { readonly kind: 'eq'; readonly loc: Loc; readonly value: Value | Loc; readonly negated: boolean }
  | { readonly kind: 'not'; readonly arg: Prop }
  | { readonly kind: 'and' | 'or'; readonly left: Prop; readonly right: Prop };

export class LitmusSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
  }
}

export function locName(l: Loc): string {
  return l.kind === 'var' ? l.name : `${l.proc}:${l.reg}`;
}
