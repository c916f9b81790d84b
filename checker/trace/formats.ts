import type { RenderContext } from './render-common.ts';
import { verdictText } from './render-common.ts';
import { renderItf } from './render-itf.ts';
import { renderJson } from './render-json.ts';
import { renderKernelDoc } from './render-kernel-doc.ts';
import { renderLitmus } from './render-litmus.ts';
import { renderMarkdown } from './render-markdown.ts';
import { renderMermaid } from './render-mermaid.ts';
import { PLAIN, renderTraceTable } from './render-text.ts';
import type { Trace } from './trace.ts';

/** The ways a counterexample can be written out (`--format`); `dot` (the state graph) is separate. */
export interface TraceFormat {
  readonly description: string;
  render(trace: Trace, ctx: RenderContext): string;
}

export const TRACE_FORMATS: ReadonlyMap<string, TraceFormat> = new Map<string, TraceFormat>([
  [
    'text',
    {
      description: 'columns, one per CPU (the default)',
      render: (t, ctx) => `${renderTraceTable(t, PLAIN)}\n\n${verdictText(ctx)}`,
    },
  ],
  [
    'kernel-doc',
    {
      description: 'the plain-text table of locking.rst, 72 columns: commit messages, mail',
      render: renderKernelDoc,
    },
  ],
  ['markdown', { description: 'a Markdown table: issues, reviews', render: renderMarkdown }],
  ['mermaid', { description: 'a Mermaid sequence diagram', render: renderMermaid }],
  ['json', { description: 'the trace as JSON (replay reads it back)', render: renderJson }],
  ['itf', { description: 'the ITF trace format of Apalache and Quint', render: renderItf }],
  [
    'litmus',
    { description: 'a C litmus test for herd7 (LKMM) of its shared-memory accesses', render: renderLitmus },
  ],
]);

export type { RenderContext } from './render-common.ts';
