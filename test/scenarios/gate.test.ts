import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../checker/report/gate.ts';
import { toJUnit } from '../../checker/report/junit.ts';
import { loadScenarios, parseScenarioFile } from '../../checker/report/scenario.ts';
import '../../checker/vitest.ts';
import { loadCatalog } from '../../models/index.ts';
import { cli, repoRoot } from '../cli/run-cli.ts';

const scenarios = loadScenarios(join(repoRoot, 'scenarios'));
const catalog = await loadCatalog();

describe('every scenario matches its expected verdict', () => {
  it.each(scenarios.map((s) => [s.name, s] as const))('%s', async (_name, s) => {
    const o = await runScenario(s, catalog);
    const e = s.expect;
    if (e.verdict === 'holds') expect(o.result).toHold({ states: e.states });
    else if (e.verdict === 'violated') expect(o.result).toBeViolated(e.property, { kind: e.kind });
    expect(o.mismatch).toBe('');
  });

  it('pairs every broken variant with a scenario of its fixed sibling', () => {
    const models = new Set(scenarios.map((s) => s.model));
    for (const m of models) expect(scenarios.some((s) => s.model === m && s.variant === 'fixed')).toBe(true);
  });
});

describe('scenario files', () => {
  it('refuses a malformed scenario naming the file and field', () => {
    expect(() =>
      parseScenarioFile(
        '{"scenarios":[{"name":"x","model":"m","variant":"fixed","memory":"sc","expect":{"verdict":"holds"}}]}',
        'f.json',
      ),
    ).toThrow(/f\.json: scenarios\[0\]\.expect\.states: a holds scenario must pin/);
    expect(() =>
      parseScenarioFile(
        '{"scenarios":[{"name":"x","model":"m","variant":"fixed","memory":"sc","expect":{"verdict":"maybe"}}]}',
        'f.json',
      ),
    ).toThrow(/expect\.verdict: must be one of/);
    expect(() => parseScenarioFile('{"scenarios":[{"name":"x","colour":1}]}', 'f.json')).toThrow(
      /scenarios\[0\]\.colour: unknown field/,
    );
    expect(() => parseScenarioFile('nope', 'f.json')).toThrow(/f\.json: not valid JSON/);
  });

  it('the gate fails on a mismatch and writes JUnit with a failure per mismatch', async () => {
    const s = {
      ...scenarios.find((x) => x.name === 'vcpu-requests/fixed/sc')!,
      expect: { verdict: 'holds' as const, states: 1 },
    };
    const o = await runScenario(s, catalog);
    expect(o.ok).toBe(false);
    expect(o.mismatch).toMatch(/expected 1 distinct states, explored \d+/);
    const xml = toJUnit([o]);
    expect(xml).toMatch(/<testsuite name="kvmcheck gate" tests="1" failures="1"/);
    expect(xml).toMatch(/<failure message="expected 1 distinct states/);
  });

  it('kvmcheck gate --filter runs a subset and exits 0 when all match', async () => {
    const r = await cli('gate', '--filter', 'vcpu-requests/no-mb-vcpu/tso');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/gate: 1 passed, 0 failed/);
  });
});
