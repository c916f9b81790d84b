import type { IncompleteReason } from '../report/result.ts';
import type { SearchOptions } from './options.ts';

/**
 * What a long search does now and then rather than per state: stop at the time limit or on
 * Ctrl-C, report progress, note the memory in use, and yield to the event loop so signals and
 * timers run. A search calls `check` every 2048 states or so.
 */
export class Pacer {
  reason: IncompleteReason | null = null;
  detail = '';
  peakBytes = 0;
  private lastCheck: number;
  private lastProgress: number;
  private readonly deadline: number;

  constructor(
    private readonly options: SearchOptions,
    private readonly started: number,
  ) {
    this.lastCheck = started;
    this.lastProgress = started;
    this.deadline =
      options.timeLimit !== undefined ? started + options.timeLimit * 1000 : Number.POSITIVE_INFINITY;
  }

  /** True when the search must stop (then `reason` and `detail` say why). */
  async check(
    counts: () => { states: number; transitions: number; queue: number; depth: number },
    bytes: () => number,
  ): Promise<boolean> {
    const now = performance.now();
    if (now > this.deadline)
      return this.stop('time-limit', `stopped at --time-limit ${this.options.timeLimit}s`);
    if (this.options.signal?.aborted) return this.stop('interrupted', 'interrupted');
    if (now - this.lastCheck <= 100) return false;
    this.lastCheck = now;
    this.peakBytes = Math.max(this.peakBytes, bytes());
    const progress = this.options.progress;
    if (progress && now - this.lastProgress >= (this.options.progressMs ?? 1000)) {
      this.lastProgress = now;
      const seconds = (now - this.started) / 1000;
      const c = counts();
      progress({ ...c, seconds, statesPerSecond: c.states / seconds });
    }
    // let Ctrl-C and timers run
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.options.signal?.aborted) return this.stop('interrupted', 'interrupted');
    return false;
  }

  private stop(reason: IncompleteReason, detail: string): boolean {
    this.reason = reason;
    this.detail = detail;
    return true;
  }
}
