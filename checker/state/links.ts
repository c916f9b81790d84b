/**
 * Per state, the state it was first reached from and the step that reached it (for an initial
 * state: -1 and its number): what a BFS counterexample is rebuilt from. Kept in chunks (64Ki
 * entries unless the memory cap is small), so growing never copies and the slack is at most one
 * chunk: 6 bytes per state (8 with more than 65,535 steps).
 */
export class Links {
  private readonly parents: Int32Array[] = [];
  private readonly vias: (Uint16Array | Int32Array)[] = [];
  private count = 0;
  private readonly bits: number;
  private readonly mask: number;

  constructor(
    private readonly narrow: boolean,
    chunkBits = 16,
  ) {
    this.bits = chunkBits;
    this.mask = (1 << chunkBits) - 1;
  }

  get length(): number {
    return this.count;
  }

  get byteLength(): number {
    return this.parents.length * (this.mask + 1) * (this.narrow ? 6 : 8);
  }

  /** Bytes the next chunk takes, when `add` will need one. */
  get nextChunkBytes(): number {
    return (this.count & this.mask) === 0 ? (this.mask + 1) * (this.narrow ? 6 : 8) : 0;
  }

  add(parent: number, via: number): number {
    const i = this.count++;
    if ((i & this.mask) === 0) {
      const n = this.mask + 1;
      this.parents.push(new Int32Array(n));
      this.vias.push(this.narrow ? new Uint16Array(n) : new Int32Array(n));
    }
    this.parents[i >>> this.bits]![i & this.mask] = parent;
    this.vias[i >>> this.bits]![i & this.mask] = via;
    return i;
  }

  parent(i: number): number {
    return this.parents[i >>> this.bits]![i & this.mask]!;
  }

  via(i: number): number {
    return this.vias[i >>> this.bits]![i & this.mask]!;
  }

  /** The steps from an initial state to state `i`, and which initial state. */
  pathTo(i: number): { initial: number; actions: number[] } {
    const actions: number[] = [];
    let j = i;
    while (this.parent(j) >= 0) {
      actions.push(this.via(j));
      j = this.parent(j);
    }
    actions.reverse();
    return { initial: this.via(j), actions };
  }
}
