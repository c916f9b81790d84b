import type { GateOutcome } from './gate.ts';

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JUnit XML for CI dashboards: one testcase per scenario, a failure per mismatch. */
export function toJUnit(outcomes: readonly GateOutcome[], suite = 'kvmcheck gate'): string {
  const failures = outcomes.filter((o) => !o.ok).length;
  const time = outcomes.reduce((t, o) => t + o.seconds, 0);
  const cases = outcomes.map((o) => {
    const head = `  <testcase classname="${esc(o.scenario.model)}" name="${esc(o.scenario.name)}" time="${o.seconds.toFixed(3)}"`;
    if (o.ok) return `${head}/>`;
    return `${head}>\n    <failure message="${esc(o.mismatch)}">${esc(o.mismatch)}</failure>\n  </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="${esc(suite)}" tests="${outcomes.length}" failures="${failures}" time="${time.toFixed(3)}">`,
    ...cases,
    '</testsuite>',
    '',
  ].join('\n');
}
