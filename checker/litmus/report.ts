import { PLAIN, type Style } from '../trace/render-text.ts';
import { agrees, type LitmusOutcome } from './run.ts';

/** herd7's report of one test, plus the memory model and (with an expectation) the comparison. */
export function renderOutcome(o: LitmusOutcome, expect: boolean, style: Style = PLAIN): string {
  const lines: string[] = [];
  lines.push(`Test ${o.test} ${o.quantifier === 'forall' ? 'Required' : 'Allowed'}`);
  lines.push(`States ${o.states.length}`);
  for (const s of o.states) lines.push(s.satisfies ? style.bold(s.values) : s.values);
  lines.push(o.validated ? 'Ok' : 'No');
  lines.push('Witnesses');
  lines.push(`Positive: ${o.positive} Negative: ${o.negative}`);
  if (o.filtered > 0) lines.push(`Filtered out: ${o.filtered} final state${o.filtered === 1 ? '' : 's'}`);
  if (o.positive + o.negative === 0) lines.push(style.yellow('No execution passes the filter'));
  if (o.blocked > 0)
    lines.push(style.yellow(`Blocked: ${o.blocked} end state(s) where a process cannot finish`));
  const q = o.quantifier === 'not exists' ? '~exists' : o.quantifier;
  lines.push(`Condition ${q} (${o.condition})`);
  lines.push(`Observation ${o.test} ${o.observation} ${o.positive} ${o.negative}`);
  lines.push(style.dim(`Memory ${o.memory}: ${o.explored} states explored in ${o.seconds.toFixed(2)} s`));
  if (expect) {
    const ok = agrees(o, o.result);
    if (ok === undefined) lines.push(style.yellow(`Expected: no Result: line to compare with`));
    else if (ok) lines.push(style.green(`Expected ${o.result}: agrees`));
    else lines.push(style.red(`Expected ${o.result}: MISMATCH (got ${o.observation})`));
  }
  return lines.join('\n');
}

/** The JSON object of one test, as `kvmcheck litmus --json` prints it. */
export function outcomeJson(o: LitmusOutcome): Record<string, unknown> {
  return {
    test: o.test,
    file: o.file,
    memory: o.memory,
    observation: o.observation,
    positive: o.positive,
    negative: o.negative,
    states: o.states.map((s) => s.values),
    condition: `${o.quantifier === 'not exists' ? '~exists' : o.quantifier} (${o.condition})`,
    validated: o.validated,
    filtered: o.filtered,
    blocked: o.blocked,
    result: o.result ?? null,
    agrees: agrees(o, o.result) ?? null,
    explored: o.explored,
  };
}
