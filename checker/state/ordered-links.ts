/**
 * Parent links for a breadth-first search, where states are numbered in the order they are found
 * and expanded in that same order, so the parent of state i+1 is never smaller than the parent
 * of state i. Each state keeps the step that reached it (a byte where the model has fewer than
 * 256 steps) and the growth of the parent number over the previous state's (a byte, 255 marking
 * a larger jump kept aside); every 256th state keeps its parent in full. About 2 bytes a state,
 * against 6 for explicit parent indexes (links.ts); finding a parent sums at most 255 bytes,
 * which only trace rebuilding does.
 */

/** One full parent per this many states. */
const CHECKPOINT_BITS = 8;
const JUMP = 255;

export class OrderedLinks {
  private readonly deltas: Uint8Array[] = [];
  private readonly vias: (Uint8Array | Uint16Array | Int32Array)[] = [];
  private readonly checkpoints: Int32Array[] = [];
  /** Parent growths of JUMP or more, by state. */
  private readonly jumps = new Map<number, number>();
  private count = 0;
  private last = -1;
  private readonly viaBytes: number;
  private readonly bits: number;
  private readonly mask: number;

  /**
   * `steps`: how many distinct `via` values there are (steps, and initial states); chunks hold
   * 2^chunkBits states (64Ki unless the memory cap is small; at least 256).
   */
  constructor(steps: number, chunkBits = 16) {
    this.viaBytes = steps <= 256 ? 1 : steps <= 65536 ? 2 : 4;
    this.bits = Math.max(CHECKPOINT_BITS, chunkBits);
    this.mask = (1 << this.bits) - 1;
  }

  get length(): number {
    return this.count;
  }

  private get chunkBytes(): number {
    const n = this.mask + 1;
    return n * (1 + this.viaBytes) + (n >> CHECKPOINT_BITS) * 4;
  }

  get byteLength(): number {
    // a Map entry costs some tens of bytes; jumps are at most one per 255 states
    return this.deltas.length * this.chunkBytes + this.jumps.size * 40;
  }

  /** Bytes the next chunk takes, when `add` will need one. */
  get nextChunkBytes(): number {
    return (this.count & this.mask) === 0 ? this.chunkBytes : 0;
  }

  /** Records state `length`: reached from `parent` (-1: an initial state) by `via`. */
  add(parent: number, via: number): number {
    const i = this.count++;
    const c = i >>> this.bits;
    const k = i & this.mask;
    if (k === 0) {
      const n = this.mask + 1;
      this.deltas.push(new Uint8Array(n));
      this.vias.push(
        this.viaBytes === 1
          ? new Uint8Array(n)
          : this.viaBytes === 2
            ? new Uint16Array(n)
            : new Int32Array(n),
      );
      this.checkpoints.push(new Int32Array(n >> CHECKPOINT_BITS));
    }
    const d = parent - this.last;
    if (d < 0) throw new Error(`parent ${parent} of state ${i} comes before ${this.last}: not BFS order`);
    if (d >= JUMP) {
      this.deltas[c]![k] = JUMP;
      this.jumps.set(i, d);
    } else this.deltas[c]![k] = d;
    this.last = parent;
    this.vias[c]![k] = via;
    if ((k & ((1 << CHECKPOINT_BITS) - 1)) === 0) this.checkpoints[c]![k >>> CHECKPOINT_BITS] = parent;
    return i;
  }

  parent(i: number): number {
    const c = i >>> this.bits;
    const k = i & this.mask;
    const start = k & ~((1 << CHECKPOINT_BITS) - 1);
    let p = this.checkpoints[c]![start >>> CHECKPOINT_BITS]!;
    const deltas = this.deltas[c]!;
    for (let j = start + 1; j <= k; j++) {
      const d = deltas[j]!;
      p += d === JUMP ? this.jumps.get((c << this.bits) + j)! : d;
    }
    return p;
  }

  via(i: number): number {
    return this.vias[i >>> this.bits]![i & this.mask]!;
  }

  /** The steps from an initial state to state `i`, and which initial state. */
  pathTo(i: number): { initial: number; actions: number[] } {
    const actions: number[] = [];
    let j = i;
    for (let p = this.parent(j); p >= 0; p = this.parent(j)) {
      actions.push(this.via(j));
      j = p;
    }
    actions.reverse();
    return { initial: this.via(j), actions };
  }
}
