import { describeSchemaChange } from '../events/index.js';
import type { RunRecord } from '../state/index.js';
import type { ReportData, TableReport } from './report-data.js';
import { formatDuration } from './time-format.js';

/**
 * `floe report`'s page: one self-contained HTML file (inline style, an inline SVG timeline, no
 * script, nothing fetched), so it opens offline and can be mailed or archived. Every text from
 * the state store is escaped. Elements carry `data-*` attributes naming what they show, so a test
 * (or a script) can read the page back.
 */
export function reportHtml(data: ReportData): string {
  const body = data.tables.map((table) => tableSection(table, data.generatedAt)).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>floe report ${escape(data.generatedAt)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>floe report</h1>
<p class="generated">Generated <time datetime="${escape(data.generatedAt)}">${escape(data.generatedAt)}</time>: ${data.tables.length} table(s).</p>
${overview(data)}
${body}
</body>
</html>
`;
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #1b1f24; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; margin: 0.5em 0; } th, td { text-align: left; padding: 3px 10px; border-bottom: 1px solid #eaeef2; }
.succeeded { color: #1a7f37; } .failed { color: #cf222e; } .running { color: #9a6700; }
.note { color: #57606a; } .error { color: #cf222e; font-family: ui-monospace, monospace; white-space: pre-wrap; }
svg { background: #f6f8fa; }`;

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function tableId({ status }: TableReport): string {
  return `${status.source}/${status.table}`;
}

/** One line per table: freshness at a glance. */
function overview(data: ReportData): string {
  const rows = data.tables.map((table) => {
    const { status } = table;
    const last = status.lastRun;
    return `<tr data-table="${escape(tableId(table))}"><td><a href="#${escape(tableId(table))}">${escape(tableId(table))}</a></td>`
      + `<td data-field="mode">${escape(status.mode)}</td>`
      + `<td data-field="last-status" class="${escape(last?.status ?? '')}">${escape(last?.status ?? 'never run')}</td>`
      + `<td data-field="lag">${status.lagSeconds === null ? '-' : escape(formatDuration(status.lagSeconds))}</td>`
      + `<td data-field="watermark">${escape(status.watermark ?? '-')}</td>`
      + `<td data-field="state">${escape(status.state)}</td></tr>`;
  });
  return `<table data-section="overview"><thead><tr><th>table</th><th>mode</th><th>last run</th><th>lag since last success</th><th>watermark</th><th>state</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
}

function seconds(run: RunRecord): string {
  if (run.finishedAt === undefined) return '-';
  return `${((Date.parse(run.finishedAt) - Date.parse(run.requestedAt)) / 1000).toFixed(1)} s`;
}

function runRow(run: RunRecord): string {
  const notes = [
    run.rejects ? `${run.rejects} rejects` : '',
    run.watermarkHeld ? `watermark held ${Math.round(run.watermarkHeld.seconds)} s behind an open transaction` : '',
    ...(run.schemaChanges ?? []).map((change) => describeSchemaChange(change)),
  ].filter((note) => note !== '');
  return `<tr data-run="${escape(run.runId)}"><td>${escape(run.runId)}</td><td>${escape(run.mode)}</td><td data-field="status" class="${escape(run.status)}">${escape(run.status)}</td>`
    + `<td><time datetime="${escape(run.requestedAt)}">${escape(run.requestedAt)}</time></td><td data-field="duration">${escape(seconds(run))}</td>`
    + `<td data-field="rows">${run.rowsExtracted ?? '-'}</td><td data-field="inserted">${run.inserted ?? '-'}</td><td data-field="updated">${run.updated ?? '-'}</td><td data-field="deleted">${run.deleted ?? '-'}</td>`
    + `<td class="note">${escape(notes.join('; '))}</td>`
    + `<td data-field="error" class="error">${run.error ? escape(`${run.error.name}: ${run.error.message}`) : ''}</td></tr>`;
}

/**
 * The runs on a time axis, oldest left: one bar per run from its request to its end (a run still
 * going reaches the report's time), coloured by outcome.
 */
function timeline(runs: readonly RunRecord[], generatedAt: string): string {
  if (runs.length === 0) return '<p class="note">No runs yet.</p>';
  const end = (run: RunRecord): number => Date.parse(run.finishedAt ?? generatedAt);
  const from = Math.min(...runs.map((run) => Date.parse(run.requestedAt)));
  const to = Math.max(...runs.map(end), from + 1);
  const width = 720;
  const x = (time: number): number => 10 + ((time - from) / (to - from)) * (width - 20);
  const colour = { succeeded: '#1a7f37', failed: '#cf222e', running: '#bf8700' } as const;
  const bars = runs.map((run) => {
    const start = x(Date.parse(run.requestedAt));
    return `<rect data-run="${escape(run.runId)}" x="${start.toFixed(1)}" y="10" width="${Math.max(2, x(end(run)) - start).toFixed(1)}" height="20" fill="${colour[run.status]}"><title>${escape(`${run.runId}: ${run.status}, ${seconds(run)}`)}</title></rect>`;
  });
  return `<svg data-section="timeline" width="${width}" height="40" role="img" aria-label="runs over time">${bars.join('')}</svg>`;
}

function checkLine(table: TableReport): string {
  const check = table.lastCheck;
  if (check === null) return '<p class="note" data-field="check">No check result recorded (floe check, or check: after-merge, publishes them).</p>';
  const verdict = check.inSync ? 'in sync' : `${check.status}: ${check.missing} missing, ${check.extra} extra, ${check.different} different`;
  return `<p data-field="check">Last check (run ${escape(check.runId)}, <time datetime="${escape(check.publishedAt)}">${escape(check.publishedAt)}</time>): ${escape(verdict)}</p>`;
}

function tableSection(table: TableReport, generatedAt: string): string {
  const { status } = table;
  const failures = table.runs.filter((run) => run.status === 'failed');
  return `<section id="${escape(tableId(table))}" data-table="${escape(tableId(table))}">
<h2>${escape(tableId(table))}</h2>
<p>Mode ${escape(status.mode)}; watermark ${escape(status.watermark ?? 'none yet')}; last success ${escape(status.lastSucceededAt ?? 'never')}${status.lagSeconds === null ? '' : ` (${escape(formatDuration(status.lagSeconds))} ago)`}; ${failures.length} of the last ${table.runs.length} run(s) failed.</p>
${timeline([...table.runs].reverse(), generatedAt)}
${checkLine(table)}
${table.runs.length === 0 ? '' : `<table data-section="runs"><thead><tr><th>run</th><th>mode</th><th>outcome</th><th>requested</th><th>duration</th><th>rows</th><th>inserted</th><th>updated</th><th>deleted</th><th>notes</th><th>error</th></tr></thead>
<tbody>${table.runs.map(runRow).join('\n')}</tbody></table>`}
</section>`;
}
