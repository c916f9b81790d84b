import { LOCK_DOMAIN, spin_lock, spin_trylock, spin_unlock } from '../kernel/locks.ts';
import { type Context, Fence, type FenceKind, RmwOp } from '../memory/context.ts';
import type { ProcessBuilder } from '../model/builder.ts';
import { defineModel, type ModelDefinition } from '../model/define.ts';
import { intDomain } from '../state/layout.ts';
import { type Expr, LitmusSyntaxError, type LitmusTest, type Stmt, type Value } from './ast.ts';
import { showExpr } from './show.ts';

/**
 * Turns a parsed litmus test into a kvmcheck model: one process per Pn, its registers as locals,
 * the test's variables as shared memory, and one step per access to shared memory (a statement
 * with two accesses, `*z2 = *z1`, is two steps; register arithmetic and branches ride along with
 * the access before them, since nobody else can see them). The memory model then decides what
 * each access returns, exactly as for a KVM model.
 *
 * Values are integers; the address of variable i is ADDRESS_BASE + i, printed as its name.
 * Primitive mapping (LKMM names, Context operations):
 * - READ_ONCE, rcu_dereference, atomic_read, plain `*p`: load; through a pointer held in a
 *   register: loadDependent (an address dependency). smp_load_acquire, atomic_read_acquire: loadAcquire.
 * - WRITE_ONCE, atomic_set, plain `*p = v`: store; smp_store_release, rcu_assign_pointer,
 *   atomic_set_release: storeRelease; smp_store_mb: store, then smp_mb().
 * - xchg, cmpxchg, atomic_xchg/cmpxchg, atomic_*_return, atomic_fetch_*, atomic_*_and_test,
 *   atomic_add_unless: fully ordered RMWs (a failing cmpxchg or add_unless only loads). The
 *   _relaxed forms of xchg and of the arithmetic ones are unordered RMWs; _acquire/_release forms
 *   (and cmpxchg_relaxed) are treated as fully ordered: stronger than LKMM, never weaker.
 * - atomic_inc/dec/add/sub/or/and/andnot: unordered RMWs.
 * - spin_lock/spin_unlock/spin_trylock: the kernel primitives (acquire RMW / release store);
 *   spin_is_locked: a load of the lock.
 * - smp_mb, smp_mb__before/after_atomic, smp_mb__after_spinlock, smp_mb__after_unlock_lock: full
 *   fences; smp_rmb, smp_wmb; barrier(): nothing (compiler barrier).
 * - rcu_read_lock/unlock: the CPU's read-side nesting (a ghost); rcu_read_lock also acts as
 *   smp_rmb() so a section's loads cannot be older than the section. synchronize_rcu: smp_mb();
 *   wait until every CPU that was inside a section has left it and every other CPU's stores are
 *   visible; smp_mb() (NOTES.md §2: the grace period waits for the readers' buffered stores).
 */

export const ADDRESS_BASE = 1 << 16;
const VALUE_DOMAIN = intDomain(-ADDRESS_BASE, 2 * ADDRESS_BASE);

/** Slots of a translated test, filled in while the model is built. */
export interface LitmusSlots {
  readonly vars: Map<string, number>;
  /** `${proc}:${reg}` -> local slot. */
  readonly regs: Map<string, number>;
}

export interface Translation {
  readonly def: ModelDefinition;
  readonly slots: LitmusSlots;
  /** Store-buffer entries enough for every store of a process to be buffered at once. */
  readonly bufferDepth: number;
  readonly varNames: readonly string[];
  valueOf(v: Value): number;
  format(v: number): string;
}

type Pure = (c: Context) => number;

type Instr =
  | {
      readonly kind: 'access';
      readonly text: string;
      readonly line: number;
      readonly exec: (c: Context) => void;
    }
  | { readonly kind: 'pure'; readonly exec: (c: Context) => void }
  | { readonly kind: 'branch'; readonly cond: Pure; target: number }
  | { readonly kind: 'jump'; target: number };

export function translateLitmus(t: LitmusTest): Translation {
  const varIndex = new Map(t.vars.map((v, i) => [v.name, i]));
  const varNames = t.vars.map((v) => v.name);
  const addressOf = (name: string, line: number): number => {
    const i = varIndex.get(name);
    if (i === undefined) throw new LitmusSyntaxError(t.file, line, `unknown variable '${name}'`);
    return ADDRESS_BASE + i;
  };
  const valueOfInit = (v: Value): number => (v.kind === 'int' ? v.value : addressOf(v.name, 0));
  const format = (v: number): string => {
    const i = v - ADDRESS_BASE;
    return i >= 0 && i < varNames.length ? varNames[i]! : String(v);
  };
  for (const v of t.vars) if (v.init.kind === 'addr') addressOf(v.init.name, v.line);

  const slots: LitmusSlots = { vars: new Map(), regs: new Map() };
  const bufferDepth = Math.min(8, Math.max(2, ...t.procs.map(countStores)));

  const def = defineModel({
    name: t.name,
    title: `litmus test ${t.name}`,
    source: t.file,
    params: {},
    variants: { litmus: 'the test as written' },
    build(b) {
      slots.vars.clear();
      slots.regs.clear();
      const varRefs = t.vars.map((v) =>
        v.lock ? b.shared(v.name, LOCK_DOMAIN, 0) : b.shared(v.name, VALUE_DOMAIN, valueOfInit(v.init)),
      );
      for (let i = 0; i < t.vars.length; i++) slots.vars.set(t.vars[i]!.name, varRefs[i]!);
      const n = t.procs.length;
      const rcu = usesRcu(t)
        ? {
            nesting: t.procs.map((p) => b.ghost(`P${p.index}.rcu_read_lock_nesting`, intDomain(0, 7))),
            waits: t.procs.map((p) =>
              b.ghost(`P${p.index}.grace_period_waits_for`, intDomain(0, (1 << n) - 1)),
            ),
          }
        : undefined;
      for (const proc of t.procs) {
        const P = b.process(`P${proc.index}`);
        new ProcCompiler(t, P, proc.index, proc.body, varRefs, addressOf, slots, rcu).compile();
      }
    },
  });
  return { def, slots, bufferDepth, varNames, valueOf: valueOfInit, format };
}

interface RcuGhosts {
  readonly nesting: readonly number[];
  readonly waits: readonly number[];
}

function usesRcu(t: LitmusTest): boolean {
  let found = false;
  const visit = (e: Expr): void => {
    if (e.kind === 'call') {
      if (e.name.startsWith('rcu_read_') || e.name.startsWith('synchronize_rcu')) found = true;
      e.args.forEach(visit);
    } else if (e.kind === 'unary') visit(e.arg);
    else if (e.kind === 'binary') {
      visit(e.left);
      visit(e.right);
    } else if (e.kind === 'deref') visit(e.address);
  };
  for (const p of t.procs) forEachExpr(p.body, visit);
  return found;
}

function forEachExpr(body: readonly Stmt[], f: (e: Expr) => void): void {
  for (const s of body) {
    switch (s.kind) {
      case 'decl':
        if (s.init) f(s.init);
        break;
      case 'assign':
        f(s.value);
        break;
      case 'store':
        f(s.address);
        f(s.value);
        break;
      case 'expr':
        f(s.expr);
        break;
      case 'if':
        f(s.cond);
        forEachExpr(s.then, f);
        forEachExpr(s.else, f);
        break;
    }
  }
}

const STORE_CALLS = /^(WRITE_ONCE|smp_store_release|smp_store_mb|rcu_assign_pointer|atomic_set(_release)?)$/;

function countStores(p: { body: readonly Stmt[] }): number {
  let n = 0;
  const visit = (e: Expr): void => {
    if (e.kind === 'call') {
      if (STORE_CALLS.test(e.name) || e.name === 'spin_unlock') n++;
      e.args.forEach(visit);
    } else if (e.kind === 'unary') visit(e.arg);
    else if (e.kind === 'binary') {
      visit(e.left);
      visit(e.right);
    } else if (e.kind === 'deref') visit(e.address);
  };
  const walk = (body: readonly Stmt[]): void => {
    for (const s of body) {
      if (s.kind === 'store') n++;
      if (s.kind === 'if') {
        walk(s.then);
        walk(s.else);
      }
    }
  };
  forEachExpr(p.body, visit);
  walk(p.body);
  return n + 1;
}

/** Parsed suffix of an atomic primitive: `_relaxed` is unordered, the rest fully ordered. */
function ordering(name: string): { base: string; ordered: boolean } {
  const m = /^(.*?)(_relaxed|_acquire|_release)$/.exec(name);
  if (!m) return { base: name, ordered: true };
  return { base: m[1]!, ordered: m[2] !== '_relaxed' };
}

class ProcCompiler {
  private readonly instrs: Instr[] = [];
  private readonly regs = new Map<string, number>();
  private temps = 0;

  constructor(
    private readonly t: LitmusTest,
    private readonly P: ProcessBuilder,
    private readonly index: number,
    private readonly body: readonly Stmt[],
    private readonly varRefs: readonly number[],
    private readonly addressOf: (name: string, line: number) => number,
    private readonly slots: LitmusSlots,
    private readonly rcu: RcuGhosts | undefined,
  ) {}

  private fail(line: number, detail: string): never {
    throw new LitmusSyntaxError(this.t.file, line, `P${this.index}: ${detail}`);
  }

  compile(): void {
    this.declareRegisters();
    this.stmts(this.body, true);
    this.emitSteps();
  }

  // ---- registers ---------------------------------------------------------------------------

  private declareRegisters(): void {
    const declared = new Map<string, number>();
    const top = new Set(this.body.filter((s) => s.kind === 'decl').map((s) => (s as { name: string }).name));
    const inits = new Map<string, number>();
    for (const ri of this.t.regInits) {
      if (ri.proc === this.index)
        inits.set(ri.reg, ri.value.kind === 'int' ? ri.value.value : this.addressOf(ri.value.name, 0));
    }
    const walk = (body: readonly Stmt[]): void => {
      for (const s of body) {
        if (s.kind === 'decl') {
          if (!declared.has(s.name)) declared.set(s.name, s.line);
          if (top.has(s.name) && s.init && isConstant(s.init) && body === this.body) {
            inits.set(s.name, this.constValue(s.init, s.line));
          }
        } else if (s.kind === 'assign' && !declared.has(s.target)) {
          declared.set(s.target, s.line);
        } else if (s.kind === 'if') {
          walk(s.then);
          walk(s.else);
        }
      }
    };
    walk(this.body);
    // names used but neither declared nor a variable are registers too (herd7 allows it)
    forEachExpr(this.body, (e) => this.collectNames(e, declared));
    for (const name of declared.keys()) {
      const ref = this.P.local(name, VALUE_DOMAIN, inits.get(name) ?? 0);
      this.regs.set(name, ref);
      this.slots.regs.set(`${this.index}:${name}`, ref);
    }
    for (const name of inits.keys()) {
      if (!this.regs.has(name)) {
        const ref = this.P.local(name, VALUE_DOMAIN, inits.get(name)!);
        this.regs.set(name, ref);
        this.slots.regs.set(`${this.index}:${name}`, ref);
      }
    }
  }

  private collectNames(e: Expr, declared: Map<string, number>): void {
    switch (e.kind) {
      case 'name':
        if (!declared.has(e.name) && !this.t.vars.some((v) => v.name === e.name)) declared.set(e.name, 0);
        break;
      case 'deref':
        this.collectNames(e.address, declared);
        break;
      case 'unary':
        this.collectNames(e.arg, declared);
        break;
      case 'binary':
        this.collectNames(e.left, declared);
        this.collectNames(e.right, declared);
        break;
      case 'call':
        for (const a of e.args) this.collectNames(a, declared);
        break;
    }
  }

  private constValue(e: Expr, line: number): number {
    const f = this.pure(e, line);
    return f(undefined as unknown as Context);
  }

  // ---- statements ----------------------------------------------------------------------------

  private stmts(body: readonly Stmt[], top: boolean): void {
    for (const s of body) this.stmt(s, top);
  }

  private stmt(s: Stmt, top: boolean): void {
    switch (s.kind) {
      case 'decl': {
        if (!s.init) return;
        if (top && isConstant(s.init)) return; // its initial value
        this.assign(s.name, s.init, s.line, `int ${s.name} = ${showExpr(s.init)}`);
        return;
      }
      case 'assign':
        this.assign(s.target, s.value, s.line, `${s.target} = ${showExpr(s.value)}`);
        return;
      case 'store': {
        const value = this.lower(s.value, s.line);
        const addr = this.address(s.address, s.line);
        this.access(`*${showAtom(s.address)} = ${showExpr(s.value)}`, s.line, (c) =>
          c.store(addr.ref(c), value(c)),
        );
        return;
      }
      case 'expr': {
        if (s.expr.kind === 'call') {
          this.call(s.expr, undefined);
          return;
        }
        const f = this.lower(s.expr, s.line);
        this.instrs.push({ kind: 'pure', exec: (c) => void f(c) });
        return;
      }
      case 'if': {
        const cond = this.lower(s.cond, s.line);
        const branch: Instr = { kind: 'branch', cond, target: -1 };
        this.instrs.push(branch);
        this.stmts(s.then, false);
        if (s.else.length > 0) {
          const jump: Instr = { kind: 'jump', target: -1 };
          this.instrs.push(jump);
          branch.target = this.instrs.length;
          this.stmts(s.else, false);
          jump.target = this.instrs.length;
        } else {
          branch.target = this.instrs.length;
        }
        return;
      }
    }
  }

  private reg(name: string, line: number): number {
    const r = this.regs.get(name);
    if (r === undefined) this.fail(line, `'${name}' is not a register`);
    return r;
  }

  private assign(target: string, value: Expr, line: number, text: string): void {
    const dest = this.reg(target, line);
    if (value.kind === 'call') {
      this.call(value, dest, text);
      return;
    }
    if (value.kind === 'deref') {
      const addr = this.address(value.address, line);
      this.access(text, line, (c) => c.set(dest, addr.load(c)));
      return;
    }
    const f = this.lower(value, line);
    this.instrs.push({ kind: 'pure', exec: (c) => c.set(dest, f(c)) });
  }

  // ---- expressions ---------------------------------------------------------------------------

  /** A pure closure for `e`; every access inside it first becomes a step of its own. */
  private lower(e: Expr, line: number): Pure {
    switch (e.kind) {
      case 'int':
      case 'name':
      case 'addr':
        return this.pure(e, line);
      case 'deref': {
        const tmp = this.temp();
        const addr = this.address(e.address, line);
        this.access(`*${showAtom(e.address)}`, line, (c) => c.set(tmp, addr.load(c)));
        return (c) => c.get(tmp);
      }
      case 'call': {
        const tmp = this.temp();
        this.call(e, tmp);
        return (c) => c.get(tmp);
      }
      case 'unary': {
        const a = this.lower(e.arg, line);
        if (e.op === '-') return (c) => -a(c);
        if (e.op === '!') return (c) => (a(c) === 0 ? 1 : 0);
        return (c) => ~a(c);
      }
      case 'binary': {
        if ((e.op === '&&' || e.op === '||') && hasAccess(e.right)) {
          this.fail(line, `a shared-memory access on the right of '${e.op}' is not supported`);
        }
        const l = this.lower(e.left, line);
        const r = this.lower(e.right, line);
        return binary(e.op, l, r);
      }
    }
  }

  /** A closure for an expression without accesses (registers, constants, addresses). */
  private pure(e: Expr, line: number): Pure {
    switch (e.kind) {
      case 'int': {
        const v = e.value;
        return () => v;
      }
      case 'name': {
        const r = this.regs.get(e.name);
        if (r !== undefined) return (c) => c.get(r);
        const a = this.addressOf(e.name, line);
        return () => a;
      }
      case 'addr': {
        const a = this.addressOf(e.name, line);
        return () => a;
      }
      case 'unary': {
        const a = this.pure(e.arg, line);
        if (e.op === '-') return (c) => -a(c);
        if (e.op === '!') return (c) => (a(c) === 0 ? 1 : 0);
        return (c) => ~a(c);
      }
      case 'binary':
        return binary(e.op, this.pure(e.left, line), this.pure(e.right, line));
      default:
        return this.fail(line, `'${showExpr(e)}' is not a constant`);
    }
  }

  private temp(): number {
    const ref = this.P.local(`tmp${++this.temps}`, VALUE_DOMAIN, 0);
    return ref;
  }

  /**
   * The variable an address expression names: static for `x` (a parameter), dynamic for a
   * register holding a pointer, whose loads then carry an address dependency.
   */
  private address(e: Expr, line: number): { ref: (c: Context) => number; load: (c: Context) => number } {
    const f = this.lower(e, line);
    const varRefs = this.varRefs;
    const file = this.t.file;
    const ref = (c: Context): number => {
      const a = f(c);
      const r = varRefs[a - ADDRESS_BASE];
      if (r === undefined)
        throw new Error(`${file}:${line}: dereferences ${a}, which is not the address of a variable`);
      return r;
    };
    if (dependsOnRegister(e, this.regs)) return { ref, load: (c) => c.loadDependent(ref(c)) };
    return { ref, load: (c) => c.load(ref(c)) };
  }

  private access(text: string, line: number, exec: (c: Context) => void): void {
    this.instrs.push({ kind: 'access', text, line, exec });
  }

  private fence(text: string, line: number, kind: FenceKind): void {
    this.access(text, line, (c) => c.fence(kind));
  }

  // ---- primitives --------------------------------------------------------------------------

  private call(e: Extract<Expr, { kind: 'call' }>, dest: number | undefined, text = showExpr(e)): void {
    const line = e.line;
    const name = e.name;
    const args = e.args;
    const want = (n: number): void => {
      if (args.length !== n)
        this.fail(line, `${name}() takes ${n} argument${n === 1 ? '' : 's'}, got ${args.length}`);
    };
    const set = (c: Context, v: number): void => {
      if (dest !== undefined) c.set(dest, v);
    };
    /** An lvalue argument `*p`. */
    const lvalue = (a: Expr) => {
      if (a.kind !== 'deref') this.fail(line, `${name}() expects *pointer as its first argument`);
      return this.address(a.address, line);
    };
    const pointer = (a: Expr) => this.address(a, line);
    const fences: Record<string, FenceKind> = {
      smp_mb: Fence.mb,
      smp_rmb: Fence.rmb,
      smp_wmb: Fence.wmb,
      smp_mb__before_atomic: Fence.beforeAtomic,
      smp_mb__after_atomic: Fence.afterAtomic,
      smp_mb__after_spinlock: Fence.mb,
      smp_mb__after_unlock_lock: Fence.mb,
    };
    if (name in fences) {
      want(0);
      this.fence(text, line, fences[name]!);
      return;
    }
    switch (name) {
      case 'barrier':
        want(0);
        return;
      case 'READ_ONCE':
      case 'rcu_dereference': {
        want(1);
        const a = lvalue(args[0]!);
        this.access(text, line, (c) => set(c, a.load(c)));
        return;
      }
      case 'atomic_read': {
        want(1);
        const a = pointer(args[0]!);
        this.access(text, line, (c) => set(c, a.load(c)));
        return;
      }
      case 'smp_load_acquire':
      case 'atomic_read_acquire': {
        want(1);
        const a = pointer(args[0]!);
        this.access(text, line, (c) => set(c, c.loadAcquire(a.ref(c))));
        return;
      }
      case 'WRITE_ONCE':
      case 'rcu_assign_pointer':
      case 'smp_store_mb': {
        want(2);
        const v = this.lower(args[1]!, line);
        const a = lvalue(args[0]!);
        if (name === 'rcu_assign_pointer') this.access(text, line, (c) => c.storeRelease(a.ref(c), v(c)));
        else this.access(text, line, (c) => c.store(a.ref(c), v(c)));
        if (name === 'smp_store_mb') this.fence('smp_mb()  /* of smp_store_mb */', line, Fence.mb);
        return;
      }
      case 'atomic_set':
      case 'smp_store_release':
      case 'atomic_set_release': {
        want(2);
        const v = this.lower(args[1]!, line);
        const a = pointer(args[0]!);
        if (name === 'atomic_set') this.access(text, line, (c) => c.store(a.ref(c), v(c)));
        else this.access(text, line, (c) => c.storeRelease(a.ref(c), v(c)));
        return;
      }
      case 'spin_lock':
      case 'spin_unlock':
      case 'spin_trylock':
      case 'spin_is_locked': {
        want(1);
        const a = pointer(args[0]!);
        if (name === 'spin_lock') this.access(text, line, (c) => spin_lock(c, a.ref(c)));
        else if (name === 'spin_unlock') this.access(text, line, (c) => spin_unlock(c, a.ref(c)));
        else if (name === 'spin_trylock')
          this.access(text, line, (c) => set(c, spin_trylock(c, a.ref(c)) ? 1 : 0));
        else this.access(text, line, (c) => set(c, c.load(a.ref(c)) !== 0 ? 1 : 0));
        return;
      }
      case 'rcu_read_lock':
      case 'rcu_read_unlock':
      case 'synchronize_rcu':
      case 'synchronize_rcu_expedited':
        want(0);
        this.rcuCall(name, text, line);
        return;
    }
    this.atomic(e, dest, text);
  }

  private rcuCall(name: string, text: string, line: number): void {
    const rcu = this.rcu!;
    const me = this.index;
    const nesting = rcu.nesting[me]!;
    if (name === 'rcu_read_lock') {
      this.access(text, line, (c) => {
        c.set(nesting, c.get(nesting) + 1);
        c.fence(Fence.rmb);
      });
    } else if (name === 'rcu_read_unlock') {
      this.access(text, line, (c) => {
        const n = c.get(nesting);
        if (n === 0)
          throw new Error(`${this.t.file}:${line}: rcu_read_unlock() outside a read-side critical section`);
        c.set(nesting, n - 1);
        if (n === 1) {
          for (const w of rcu.waits) {
            const m = c.get(w);
            if (m & (1 << me)) c.set(w, m & ~(1 << me));
          }
        }
      });
    } else {
      const waits = rcu.waits[me]!;
      this.access(`${text}  /* grace period starts */`, line, (c) => {
        c.fence(Fence.mb);
        let mask = 0;
        for (let q = 0; q < rcu.nesting.length; q++)
          if (q !== me && c.get(rcu.nesting[q]!) > 0) mask |= 1 << q;
        c.set(waits, mask);
      });
      this.access(`${text}  /* waits for pre-existing readers */`, line, (c) => {
        if (c.get(waits) !== 0) return c.block();
        for (let q = 0; q < rcu.nesting.length; q++) if (q !== me && !c.storesVisible(q)) return c.block();
        c.fence(Fence.mb);
      });
    }
  }

  /** The atomic_* and xchg/cmpxchg families. */
  private atomic(e: Extract<Expr, { kind: 'call' }>, dest: number | undefined, text: string): void {
    const line = e.line;
    const { base, ordered } = ordering(e.name);
    const args = e.args;
    const set = (c: Context, v: number): void => {
      if (dest !== undefined) c.set(dest, v);
    };
    const want = (n: number): void => {
      if (args.length !== n) this.fail(line, `${e.name}() takes ${n} arguments, got ${args.length}`);
    };
    const ptr = (i: number) => this.address(args[i]!, line);
    const val = (i: number) => this.lower(args[i]!, line);
    // value first, pointer last: atomic_add(i, v)
    const arith: Record<string, { op: RmwOp; sign: number }> = {
      add: { op: RmwOp.add, sign: 1 },
      sub: { op: RmwOp.add, sign: -1 },
      or: { op: RmwOp.or, sign: 1 },
      andnot: { op: RmwOp.andNot, sign: 1 },
      and: { op: RmwOp.andNot, sign: 0 },
    };
    const rmwArg = (spec: { op: RmwOp; sign: number }, v: number): number =>
      spec.sign === 0 ? ~v : spec.sign * v;
    switch (base) {
      case 'xchg':
      case 'atomic_xchg': {
        want(2);
        const v = val(1);
        const a = ptr(0);
        this.access(text, line, (c) =>
          set(c, ordered ? c.xchg(a.ref(c), v(c)) : c.rmw(a.ref(c), RmwOp.set, v(c), false)),
        );
        return;
      }
      case 'cmpxchg':
      case 'atomic_cmpxchg': {
        want(3);
        const o = val(1);
        const n = val(2);
        const a = ptr(0);
        this.access(text, line, (c) => set(c, c.cmpxchg(a.ref(c), o(c), n(c))));
        return;
      }
      case 'atomic_add_unless':
      case 'atomic_inc_not_zero': {
        want(base === 'atomic_add_unless' ? 3 : 1);
        const a = ptr(0);
        const add = base === 'atomic_add_unless' ? val(1) : () => 1;
        const unless = base === 'atomic_add_unless' ? val(2) : () => 0;
        // fully ordered when it adds; a plain load when it does not (like a failing cmpxchg)
        this.access(text, line, (c) => {
          const ref = a.ref(c);
          const old = c.load(ref);
          if (old === unless(c)) return set(c, 0);
          set(c, c.cmpxchg(ref, old, old + add(c)) === old ? 1 : 0);
        });
        return;
      }
      case 'atomic_inc':
      case 'atomic_dec': {
        want(1);
        const a = ptr(0);
        const d = base === 'atomic_inc' ? 1 : -1;
        this.access(text, line, (c) => void c.rmw(a.ref(c), RmwOp.add, d, false));
        return;
      }
    }
    let m = /^atomic_(add|sub|or|andnot|and)$/.exec(base);
    if (m) {
      want(2);
      const spec = arith[m[1]!]!;
      const v = val(0);
      const a = ptr(1);
      this.access(text, line, (c) => void c.rmw(a.ref(c), spec.op, rmwArg(spec, v(c)), false));
      return;
    }
    m = /^atomic_(inc|dec)_return$/.exec(base);
    if (m) {
      want(1);
      const d = m[1] === 'inc' ? 1 : -1;
      const a = ptr(0);
      this.access(text, line, (c) => set(c, c.rmw(a.ref(c), RmwOp.add, d, ordered) + d));
      return;
    }
    m = /^atomic_(add|sub)_return$/.exec(base);
    if (m) {
      want(2);
      const sign = m[1] === 'add' ? 1 : -1;
      const v = val(0);
      const a = ptr(1);
      this.access(text, line, (c) => {
        const d = sign * v(c);
        set(c, c.rmw(a.ref(c), RmwOp.add, d, ordered) + d);
      });
      return;
    }
    m = /^atomic_fetch_(inc|dec)$/.exec(base);
    if (m) {
      want(1);
      const d = m[1] === 'inc' ? 1 : -1;
      const a = ptr(0);
      this.access(text, line, (c) => set(c, c.rmw(a.ref(c), RmwOp.add, d, ordered)));
      return;
    }
    m = /^atomic_fetch_(add|sub|or|andnot|and)$/.exec(base);
    if (m) {
      want(2);
      const spec = arith[m[1]!]!;
      const v = val(0);
      const a = ptr(1);
      this.access(text, line, (c) => set(c, c.rmw(a.ref(c), spec.op, rmwArg(spec, v(c)), ordered)));
      return;
    }
    m = /^atomic_(inc|dec)_and_test$/.exec(base);
    if (m) {
      want(1);
      const d = m[1] === 'inc' ? 1 : -1;
      const a = ptr(0);
      this.access(text, line, (c) => set(c, c.rmw(a.ref(c), RmwOp.add, d, true) + d === 0 ? 1 : 0));
      return;
    }
    if (base === 'atomic_sub_and_test' || base === 'atomic_add_negative') {
      want(2);
      const v = val(0);
      const a = ptr(1);
      const sign = base === 'atomic_sub_and_test' ? -1 : 1;
      this.access(text, line, (c) => {
        const d = sign * v(c);
        const now = c.rmw(a.ref(c), RmwOp.add, d, true) + d;
        set(c, (base === 'atomic_sub_and_test' ? now === 0 : now < 0) ? 1 : 0);
      });
      return;
    }
    this.fail(line, `unsupported primitive '${e.name}()'`);
  }

  // ---- steps ---------------------------------------------------------------------------------

  /**
   * One step per access instruction; the pure instructions after it (register arithmetic,
   * branches) run in the same step, as do those before the first access.
   */
  private emitSteps(): void {
    const P = this.P;
    const instrs = this.instrs;
    const labelAt = new Int32Array(instrs.length + 1).fill(-1);
    const used = new Map<string, number>();
    const labelName = (i: number): string => {
      const ins = instrs[i]!;
      const base = ins.kind === 'access' ? `L${ins.line}` : 'start';
      const k = (used.get(base) ?? 0) + 1;
      used.set(base, k);
      return k === 1 ? base : `${base}.${k}`;
    };
    const starts: number[] = [0];
    for (let i = 0; i < instrs.length; i++) if (instrs[i]!.kind === 'access' && i !== 0) starts.push(i);
    if (instrs.length === 0) {
      P.step('start', '(nothing)', () => P.done);
      return;
    }
    const names = starts.map((i) => labelName(i));
    starts.forEach((i, k) => {
      labelAt[i] = P.label(names[k]!);
    });
    const done = P.done;
    const n = instrs.length;
    starts.forEach((start, k) => {
      const first = instrs[start]!;
      const stepName = first.kind === 'access' ? first.text : firstAccessText(instrs, start);
      P.step(names[k]!, stepName, (c) => {
        let i = start;
        let did = false;
        while (i < n) {
          const ins = instrs[i]!;
          switch (ins.kind) {
            case 'access':
              if (did) return labelAt[i]!;
              ins.exec(c);
              if (c.blocked) return;
              did = true;
              i++;
              break;
            case 'pure':
              ins.exec(c);
              i++;
              break;
            case 'branch':
              i = ins.cond(c) !== 0 ? i + 1 : ins.target;
              break;
            case 'jump':
              i = ins.target;
              break;
          }
        }
        return done;
      });
    });
  }
}

function firstAccessText(instrs: readonly Instr[], from: number): string {
  for (let i = from; i < instrs.length; i++) {
    const ins = instrs[i]!;
    if (ins.kind === 'access') return ins.text;
  }
  return '(registers only)';
}

function binary(op: string, l: Pure, r: Pure): Pure {
  switch (op) {
    case '+':
      return (c) => l(c) + r(c);
    case '-':
      return (c) => l(c) - r(c);
    case '*':
      return (c) => l(c) * r(c);
    case '/':
    case '%':
      return (c) => {
        const d = r(c);
        if (d === 0) throw new Error('division by zero');
        const q = l(c);
        return op === '/' ? Math.trunc(q / d) : q % d;
      };
    case '&':
      return (c) => l(c) & r(c);
    case '|':
      return (c) => l(c) | r(c);
    case '^':
      return (c) => l(c) ^ r(c);
    case '<<':
      return (c) => l(c) << r(c);
    case '>>':
      return (c) => l(c) >> r(c);
    case '==':
      return (c) => (l(c) === r(c) ? 1 : 0);
    case '!=':
      return (c) => (l(c) !== r(c) ? 1 : 0);
    case '<':
      return (c) => (l(c) < r(c) ? 1 : 0);
    case '<=':
      return (c) => (l(c) <= r(c) ? 1 : 0);
    case '>':
      return (c) => (l(c) > r(c) ? 1 : 0);
    case '>=':
      return (c) => (l(c) >= r(c) ? 1 : 0);
    case '&&':
      return (c) => (l(c) !== 0 && r(c) !== 0 ? 1 : 0);
    default:
      return (c) => (l(c) !== 0 || r(c) !== 0 ? 1 : 0);
  }
}

function isConstant(e: Expr): boolean {
  switch (e.kind) {
    case 'int':
      return true;
    case 'unary':
      return isConstant(e.arg);
    case 'binary':
      return isConstant(e.left) && isConstant(e.right);
    default:
      return false;
  }
}

function hasAccess(e: Expr): boolean {
  switch (e.kind) {
    case 'deref':
    case 'call':
      return true;
    case 'unary':
      return hasAccess(e.arg);
    case 'binary':
      return hasAccess(e.left) || hasAccess(e.right);
    default:
      return false;
  }
}

function dependsOnRegister(e: Expr, regs: Map<string, number>): boolean {
  switch (e.kind) {
    case 'name':
      return regs.has(e.name);
    case 'deref':
    case 'call':
      return true;
    case 'unary':
      return dependsOnRegister(e.arg, regs);
    case 'binary':
      return dependsOnRegister(e.left, regs) || dependsOnRegister(e.right, regs);
    default:
      return false;
  }
}

function showAtom(e: Expr): string {
  const s = showExpr(e);
  return e.kind === 'name' || e.kind === 'int' ? s : `(${s})`;
}
