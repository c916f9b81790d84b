import type { Model } from '../model/model.ts';

/**
 * Symmetry reduction over the process classes a model declares interchangeable (a scalarset,
 * e.g. vCPUs). Each member owns a block of slots: its pc, its locals, its memory-model slots
 * (store buffer), and its element of every array the class indexes. A state is replaced by a
 * representative: members sorted by their blocks, the same permutation applied to every value
 * that names a member (declared `valued` slots) and to every slot address a store buffer holds.
 *
 * The representative is a permutation of the state, so merging never joins states that are not
 * symmetric (sound); when two members' blocks tie, the order between them is the original one,
 * so some symmetric states keep distinct representatives (less reduction, never a wrong verdict).
 * Properties must be symmetric, as the model's declaration promises.
 */

interface ClassPlan {
  /** blocks[m][q]: the q-th slot of member m's block. */
  readonly blocks: Int32Array[];
  readonly valued: Int32Array;
  readonly k: number;
}

export class SymmetryReducer {
  private readonly order: Int32Array;
  /** For a slot holding the address of buffer entry e: the buffer's count slot (else -1), and e. */
  private readonly addressCount: Int32Array;
  private readonly addressEntry: Int32Array;
  /** Per member of the class being canonicalized: where the state first names it. */
  private readonly firstRef: Int32Array;
  /** For each slot inside some member block: the member (-1 if none) and its offset in the block. */
  private readonly slotMember: Int32Array;
  private readonly slotOffset: Int32Array;
  private readonly slotClass: Int32Array;
  private readonly invs: Int32Array[];
  private readonly buffers: { count: number; addrs: readonly number[] }[];
  /** Slots `canonicalize` may have changed (with repeats), for incremental fingerprints. */
  readonly changed: Int32Array;
  nChanged = 0;

  private constructor(
    private readonly plans: readonly ClassPlan[],
    size: number,
    buffers: { count: number; addrs: readonly number[] }[],
  ) {
    const maxK = Math.max(...plans.map((p) => p.k));
    this.order = new Int32Array(maxK);
    this.firstRef = new Int32Array(maxK);
    this.invs = plans.map((p) => new Int32Array(p.k));
    this.slotMember = new Int32Array(size).fill(-1);
    this.slotOffset = new Int32Array(size);
    this.slotClass = new Int32Array(size);
    plans.forEach((plan, ci) => {
      plan.blocks.forEach((block, m) => {
        block.forEach((slot, q) => {
          this.slotMember[slot] = m;
          this.slotOffset[slot] = q;
          this.slotClass[slot] = ci;
        });
      });
    });
    this.buffers = buffers;
    this.addressCount = new Int32Array(size).fill(-1);
    this.addressEntry = new Int32Array(size);
    for (const b of buffers)
      b.addrs.forEach((a, e) => {
        this.addressCount[a] = b.count;
        this.addressEntry[a] = e;
      });
    this.changed = new Int32Array(size * 2 + 16);
  }

  /**
   * The reducer for `model`, or a reason it cannot reduce: no class declared, members whose
   * blocks differ in shape, or a memory model that keeps addresses without saying where.
   */
  static forModel(model: Model): SymmetryReducer | string {
    const classes = model.layout.symmetry;
    if (classes.length === 0) return 'the model declares no symmetric process class';
    // Lock slots hold owner ids and process bitmasks, which a permutation would have to rename.
    if (model.layout.locks.some((l) => l.kind === 'lock' || l.slots.length > 0)) {
      return 'the model has locks, whose holder values symmetry reduction does not rename yet';
    }
    const slots = model.layout.slots;
    const buffers: { count: number; addrs: readonly number[] }[] = [];
    for (const p of model.processes) {
      const a = model.addressSlots(p.index);
      if (a === undefined) return `memory model ${model.config.memory} does not support symmetry reduction`;
      if (a !== null) buffers.push(a);
      const d = model.deferredSlots?.(p.index);
      if (d) buffers.push(d);
    }
    const claimed = new Set<number>();
    const plans: ClassPlan[] = [];
    for (const cls of classes) {
      if (cls.processes.length < 2) continue;
      const blocks = cls.processes.map((proc, m) => {
        const own = slots
          .filter((s) => s.owner === proc && (s.kind === 'local' || s.kind === 'pc' || s.kind === 'memory'))
          .map((s) => s.index);
        const indexed = cls.indexed.map((arr) => arr[m]!);
        return Int32Array.from([...own, ...indexed]);
      });
      // A pc value means a label: members must name their labels alike, in the same order.
      const labelsOf = (p: number) => model.processes[p]!.labels.join('\u0000');
      if (cls.processes.some((p) => labelsOf(p) !== labelsOf(cls.processes[0]!))) {
        return `the members of symmetry class ${cls.name} do not have the same labels`;
      }
      // Locals must correspond by name (the part after the process name) and domain.
      const shape = (b: Int32Array) =>
        [...b]
          .map(
            (i) =>
              `${slots[i]!.kind}:${slots[i]!.owner >= 0 ? slots[i]!.name.slice(slots[i]!.name.indexOf('.')) : ''}:${slots[i]!.domain.min}..${slots[i]!.domain.max}`,
          )
          .join();
      for (const b of blocks) {
        if (b.length !== blocks[0]!.length || shape(b) !== shape(blocks[0]!)) {
          return `the members of symmetry class ${cls.name} do not have slots of the same shape`;
        }
        for (const slot of b) {
          if (claimed.has(slot))
            return `slot ${slots[slot]!.name} belongs to two members of a symmetry class`;
          claimed.add(slot);
        }
      }
      for (const arr of cls.indexed) {
        if (arr.length !== cls.processes.length)
          return `an array indexed by class ${cls.name} does not have one slot per member`;
      }
      plans.push({ blocks, valued: Int32Array.from(cls.valued), k: cls.processes.length });
    }
    if (plans.length === 0) return 'no symmetric class has two members';
    return new SymmetryReducer(plans, model.layout.size, buffers);
  }

  /**
   * Writes the representative of `s` into `out` (which must not alias `s`); the slots where they
   * may differ are left in `changed[0..nChanged)`.
   */
  canonicalize(s: Int32Array, out: Int32Array): void {
    out.set(s);
    const changed = this.changed;
    let nc = 0;
    for (let ci = 0; ci < this.plans.length; ci++) {
      const plan = this.plans[ci]!;
      const { blocks, k } = plan;
      const order = this.order;
      for (let m = 0; m < k; m++) order[m] = m;
      // Members whose blocks are equal are told apart by where the rest of the state first names
      // them (a variable holding a member number, a buffered store to a member's slot): the
      // member named first goes first, so symmetric states agree on the renaming. Members named
      // nowhere are interchangeable, and their order does not matter.
      const firstRef = this.firstRef;
      firstRef.fill(0x7fffffff, 0, k);
      const valued = plan.valued;
      for (let i = 0; i < valued.length; i++) {
        const v = s[valued[i]!]!;
        if (v >= 0 && v < k && firstRef[v] === 0x7fffffff) firstRef[v] = i;
      }
      let site = valued.length;
      for (let b = 0; b < this.buffers.length; b++) {
        const { count, addrs } = this.buffers[b]!;
        const n = s[count]!;
        for (let e = 0; e < n; e++, site++) {
          const a = s[addrs[e]!]!;
          const m = this.slotMember[a]!;
          if (m >= 0 && this.slotClass[a] === ci && firstRef[m] === 0x7fffffff) firstRef[m] = site;
        }
      }
      // insertion sort of members by their blocks (k is small), then by first reference
      for (let i = 1; i < k; i++) {
        const m = order[i]!;
        let j = i - 1;
        while (j >= 0 && this.compareMembers(s, ci, order[j]!, m) > 0) {
          order[j + 1] = order[j]!;
          j--;
        }
        order[j + 1] = m;
      }
      const inv = this.invs[ci]!;
      for (let j = 0; j < k; j++) inv[order[j]!] = j;
      let moved = false;
      for (let j = 0; j < k; j++) {
        if (order[j] === j) continue;
        moved = true;
        const from = blocks[order[j]!]!;
        const to = blocks[j]!;
        for (let q = 0; q < to.length; q++) {
          out[to[q]!] = s[from[q]!]!;
          changed[nc++] = to[q]!;
        }
      }
      if (!moved) continue;
      for (let i = 0; i < valued.length; i++) {
        const v = out[valued[i]!]!;
        if (v >= 0 && v < k) {
          out[valued[i]!] = inv[v]!;
          changed[nc++] = valued[i]!;
        }
      }
      this.anyMoved = true;
    }
    if (!this.anyMoved) {
      this.nChanged = nc;
      return;
    }
    this.anyMoved = false;
    // store-buffer entries name slots: rename those that moved with their member
    for (let b = 0; b < this.buffers.length; b++) {
      const { count, addrs } = this.buffers[b]!;
      const n = out[count]!;
      for (let e = 0; e < n; e++) {
        const a = out[addrs[e]!]!;
        const m = this.slotMember[a]!;
        if (m < 0) continue;
        const ci = this.slotClass[a]!;
        out[addrs[e]!] = this.plans[ci]!.blocks[this.invs[ci]![m]!]![this.slotOffset[a]!]!;
        changed[nc++] = addrs[e]!;
      }
    }
    this.nChanged = nc;
  }

  private anyMoved = false;

  /**
   * Orders members a and b of class ci by their blocks, a buffered store's address read relative
   * to the member (its own slot q, another member's slot q, or a slot outside the class), then by
   * where the state first names them.
   */
  private compareMembers(s: Int32Array, ci: number, a: number, b: number): number {
    const plan = this.plans[ci]!;
    const ba = plan.blocks[a]!;
    const bb = plan.blocks[b]!;
    for (let q = 0; q < ba.length; q++) {
      let va = s[ba[q]!]!;
      let vb = s[bb[q]!]!;
      // an entry in use holds an address; unused entries hold 0, which is no address
      const ca = this.addressCount[ba[q]!]!;
      if (ca >= 0 && this.addressEntry[ba[q]!]! < s[ca]!) va = this.relative(va, ci, a);
      const cb = this.addressCount[bb[q]!]!;
      if (cb >= 0 && this.addressEntry[bb[q]!]! < s[cb]!) vb = this.relative(vb, ci, b);
      if (va !== vb) return va - vb;
    }
    return this.firstRef[a]! - this.firstRef[b]!;
  }

  /** A slot address as seen from member m: its own slot q is -1-q, another member's -65537-q. */
  private relative(addr: number, ci: number, m: number): number {
    const owner = this.slotMember[addr]!;
    if (owner < 0 || this.slotClass[addr] !== ci) return addr;
    return owner === m ? -1 - this.slotOffset[addr]! : -65537 - this.slotOffset[addr]!;
  }
}
