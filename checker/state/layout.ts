import type { LockClass } from './lock-class.ts';

/**
 * The layout of a state: every variable of a model is one slot of a flat Int32Array.
 * Slots carry a name (for traces), a kind (who may touch them and how) and a bounded domain
 * (checked on every write, so a model cannot silently leave the space it declared).
 */

export type SlotKind = 'shared' | 'local' | 'ghost' | 'pc' | 'memory';

export interface Domain {
  readonly min: number;
  readonly max: number;
  /** Printable names of the values min..max (enums, bools); absent for plain integers. */
  readonly names?: readonly string[];
}

export interface SlotInfo {
  readonly index: number;
  readonly name: string;
  readonly kind: SlotKind;
  /** Owning process for locals, pcs and store buffers; -1 for shared and ghost variables. */
  readonly owner: number;
  readonly domain: Domain;
  readonly init: number;
}

/**
 * A class of interchangeable processes (vCPUs as a scalarset). Symmetry reduction permutes
 * `processes`, the slots of every `indexed` array in step, and renames every value held in a
 * `valued` slot. Declared now so the reductions can use it without touching models.
 */
export interface SymmetryClass {
  readonly name: string;
  readonly processes: readonly number[];
  /** Arrays with one slot per member of the class, in the order of `processes`. */
  readonly indexed: readonly (readonly number[])[];
  /** Slots whose value is a member index (0-based) of the class, or -1 for none. */
  readonly valued: readonly number[];
}

export class Layout {
  readonly slots: readonly SlotInfo[];
  readonly size: number;
  readonly min: Int32Array;
  readonly max: Int32Array;
  readonly symmetry: readonly SymmetryClass[];
  /** The locks the model's primitives declared (see lock-class.ts); their index is their id. */
  readonly locks: readonly LockClass[];
  /** Slot -> id of the lock whose state it holds, or -1. */
  readonly lockOf: Int32Array;

  constructor(
    slots: readonly SlotInfo[],
    symmetry: readonly SymmetryClass[],
    locks: readonly LockClass[] = [],
  ) {
    this.slots = slots;
    this.size = slots.length;
    this.min = Int32Array.from(slots, (s) => s.domain.min);
    this.max = Int32Array.from(slots, (s) => s.domain.max);
    this.symmetry = symmetry;
    this.locks = locks;
    this.lockOf = new Int32Array(slots.length).fill(-1);
    locks.forEach((l, id) => {
      for (const ref of l.slots) this.lockOf[ref] = id;
    });
  }

  /** The value of slot `i` as a reader would name it: enum name, bool, or the number. */
  format(i: number, v: number): string {
    const d = this.slots[i]!.domain;
    const n = d.names?.[v - d.min];
    return n ?? String(v);
  }

  initialState(): Int32Array {
    return Int32Array.from(this.slots, (s) => s.init);
  }
}

export class LayoutBuilder {
  private readonly slots: SlotInfo[] = [];
  private readonly symmetry: SymmetryClass[] = [];
  private readonly locks: LockClass[] = [];

  add(name: string, kind: SlotKind, owner: number, domain: Domain, init = domain.min): number {
    if (!Number.isInteger(domain.min) || !Number.isInteger(domain.max) || domain.min > domain.max) {
      throw new Error(`slot ${name}: bad domain ${domain.min}..${domain.max}`);
    }
    if (init < domain.min || init > domain.max) {
      throw new Error(
        `slot ${name}: initial value ${init} is outside its domain ${domain.min}..${domain.max}`,
      );
    }
    if (this.slots.some((s) => s.name === name)) throw new Error(`slot ${name} is declared twice`);
    const index = this.slots.length;
    this.slots.push({ index, name, kind, owner, domain, init });
    return index;
  }

  addSymmetry(c: SymmetryClass): void {
    this.symmetry.push(c);
  }

  /** Registers a lock over already declared slots; returns its id. */
  addLock(l: LockClass): number {
    this.locks.push(l);
    return this.locks.length - 1;
  }

  get count(): number {
    return this.slots.length;
  }

  build(): Layout {
    return new Layout(this.slots.slice(), this.symmetry.slice(), this.locks.slice());
  }
}

export const BOOL: Domain = { min: 0, max: 1, names: ['false', 'true'] };

export function enumDomain(names: readonly string[]): Domain {
  return { min: 0, max: names.length - 1, names };
}

export function intDomain(min: number, max: number): Domain {
  return { min, max };
}
