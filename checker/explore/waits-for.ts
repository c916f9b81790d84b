import type { Model } from '../model/model.ts';
import type { WaitsFor } from '../report/result.ts';

/**
 * The waits-for chain of a deadlocked state: for each process that cannot move, the lock (or
 * sleep) its next step is waiting on and which processes hold it, read from the locks the
 * layout declares (checker/state/lock-class.ts). Each stuck process's steps are run once with
 * the lock hook set, so the primitives themselves say what they were trying to take.
 * Not on the hot path: runs once, when a deadlock is found.
 */

export function waitsFor(model: Model, s: Int32Array): WaitsFor[] {
  const c = model.context;
  const locks = model.layout.locks;
  const scratch = new Int32Array(s.length);
  const saved = c.lockHook;
  const out: WaitsFor[] = [];
  const events: { lock: number; mode: number }[] = [];
  c.lockHook = (_c, lock, mode) => {
    events.push({ lock, mode });
  };
  try {
    for (const p of model.processes) {
      const pc = s[p.pcSlot]!;
      if (p.endLabels?.includes(pc)) continue;
      const label = p.labels[pc]!;
      const steps = model.actions.filter(
        (a) => a.process === p.index && a.kind === 'step' && a.label === label,
      );
      let explained = false;
      for (const a of steps) {
        events.length = 0;
        model.fire(s, a.id, scratch);
        for (const e of events) {
          const l = locks[e.lock];
          if (!l) continue;
          const holders = l.blockers(s, p.index, e.mode).map((b) => ({
            process: model.processes[b.process]?.name ?? `process ${b.process}`,
            how: b.how,
          }));
          if (l.kind === 'lock' && holders.length === 0) continue;
          out.push({
            process: p.name,
            label,
            step: a.name,
            lock: l.name,
            mode: l.modes[e.mode] ?? '',
            sleeping: l.kind === 'wait',
            holders,
          });
          explained = true;
        }
      }
      if (!explained) {
        out.push({
          process: p.name,
          label,
          step: steps.map((a) => a.name).join(' | '),
          lock: null,
          mode: '',
          sleeping: false,
          holders: [],
        });
      }
    }
  } finally {
    c.lockHook = saved;
  }
  return out;
}

/** A cycle among the waiting processes (p waits for a holder q, ...), as process names; [] if none. */
export function waitCycle(waits: readonly WaitsFor[]): string[] {
  const next = new Map<string, string[]>();
  for (const w of waits) {
    const list = next.get(w.process) ?? [];
    for (const h of w.holders) if (!list.includes(h.process)) list.push(h.process);
    next.set(w.process, list);
  }
  for (const start of next.keys()) {
    const path: string[] = [];
    const onPath = new Set<string>();
    const dfs = (p: string): string[] | null => {
      if (onPath.has(p)) return [...path.slice(path.indexOf(p)), p];
      onPath.add(p);
      path.push(p);
      for (const q of next.get(p) ?? []) {
        const found = dfs(q);
        if (found) return found;
      }
      path.pop();
      onPath.delete(p);
      return null;
    };
    const cycle = dfs(start);
    if (cycle) return cycle;
  }
  return [];
}

/** The deadlock description: one line per stuck process, then the cycle if there is one. */
export function describeWaits(waits: readonly WaitsFor[]): string {
  const lines = ['no step is enabled and not every process is at a valid end; waits-for:'];
  for (const w of waits) {
    const what = w.lock === null ? '' : `${w.lock}${w.mode ? ` (${w.mode})` : ''}`;
    let line: string;
    if (w.lock === null) line = `${w.process} is stuck at ${w.label}: ${w.step}`;
    else if (w.sleeping) line = `${w.process} sleeps at ${w.label} on ${w.lock}; nothing is left to wake it`;
    else {
      const by = w.holders.map((h) => `${h.process} ${h.how}`).join('; ');
      line = `${w.process} at ${w.label} waits for ${what}: ${by}`;
    }
    lines.push(`  ${line}`);
  }
  const cycle = waitCycle(waits);
  if (cycle.length > 0) lines.push(`  cycle: ${cycle.join(' -> ')}`);
  return lines.join('\n');
}
