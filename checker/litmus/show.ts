import type { Expr, Prop, Value } from './ast.ts';
import { locName } from './ast.ts';

/** C source text of an expression, for step names in traces. */
export function showExpr(e: Expr): string {
  switch (e.kind) {
    case 'int':
      return String(e.value);
    case 'name':
      return e.name;
    case 'addr':
      return `&${e.name}`;
    case 'deref':
      return `*${atom(e.address)}`;
    case 'unary':
      return `${e.op}${atom(e.arg)}`;
    case 'binary':
      return `${atom(e.left)} ${e.op} ${atom(e.right)}`;
    case 'call':
      return `${e.name}(${e.args.map(showExpr).join(', ')})`;
  }
}

function atom(e: Expr): string {
  return e.kind === 'binary' ? `(${showExpr(e)})` : showExpr(e);
}

function showValue(v: Value): string {
  return v.kind === 'int' ? String(v.value) : v.name;
}

/** herd7's spelling of a proposition. */
export function showProp(p: Prop): string {
  switch (p.kind) {
    case 'true':
      return 'true';
    case 'false':
      return 'false';
    case 'eq': {
      const rhs =
        'kind' in p.value && (p.value.kind === 'var' || p.value.kind === 'reg')
          ? locName(p.value)
          : showValue(p.value as Value);
      const lhs = p.loc.kind === 'var' ? `[${p.loc.name}]` : locName(p.loc);
      return p.negated ? `not (${lhs}=${rhs})` : `${lhs}=${rhs}`;
    }
    case 'not':
      return `not (${showProp(p.arg)})`;
    case 'and':
      return `${paren(p.left, 'and')} /\\ ${paren(p.right, 'and')}`;
    case 'or':
      return `${paren(p.left, 'or')} \\/ ${paren(p.right, 'or')}`;
  }
}

function paren(p: Prop, within: 'and' | 'or'): string {
  return (p.kind === 'and' || p.kind === 'or') && p.kind !== within ? `(${showProp(p)})` : showProp(p);
}
