/**
 * A HyperLogLog sketch of state fingerprints: estimates how many distinct states a random search
 * saw in 2 KiB, and sketches of runs on different machines merge by taking the register-wise
 * maximum, so a swarm reports its combined coverage without shipping fingerprint sets around.
 * Standard error about 2.3% (1.04 / sqrt(2048)).
 */
const LOG2M = 11;
const M = 1 << LOG2M;
const ALPHA = 0.7213 / (1 + 1.079 / M);

export class StateSketch {
  readonly registers: Uint8Array;

  constructor(registers?: Uint8Array) {
    if (registers !== undefined && registers.length !== M) {
      throw new Error(`a state sketch has ${M} registers, got ${registers.length}`);
    }
    this.registers = registers ?? new Uint8Array(M);
  }

  /** Adds a 64-bit fingerprint given as two 32-bit halves (FingerprintSet's hi, lo). */
  add(hi: number, lo: number): void {
    const i = lo & (M - 1);
    const rank = Math.clz32(hi) + 1;
    if (rank > this.registers[i]!) this.registers[i] = rank;
  }

  merge(other: StateSketch): void {
    const r = this.registers;
    const o = other.registers;
    for (let i = 0; i < M; i++) if (o[i]! > r[i]!) r[i] = o[i]!;
  }

  estimate(): number {
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < M; i++) {
      const v = this.registers[i]!;
      sum += 2 ** -v;
      if (v === 0) zeros++;
    }
    const e = (ALPHA * M * M) / sum;
    // small-range correction (linear counting) while many registers are still empty
    if (e <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
    return Math.round(e);
  }

  toBase64(): string {
    return Buffer.from(this.registers).toString('base64');
  }

  static fromBase64(text: string): StateSketch {
    return new StateSketch(new Uint8Array(Buffer.from(text, 'base64')));
  }
}
