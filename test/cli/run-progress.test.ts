import { parseProgressLine, progressBar, RunProgress, type Terminal } from '../../cli/run-progress.js';
import { screenOf } from './terminal-screen.js';

/** The lines the extraction job prints (glue/tests/test_progress.py pins the same forms). */
const HALFWAY = 's.t: 50,000 of ~100,000 rows (50%), 5,000 rows/s, ETA 10 s';
const PAST = 's.t: 120,000 of ~100,000 rows (past the estimate), 12,000 rows/s';
const UNKNOWN = 's.t: 50,000 rows, 5,000 rows/s';
const READ_DONE = 's.t: 120,000 rows in 2 file(s), 10.0 s, 12,000 rows/s';

/** A terminal (or a pipe, `isTTY: false`) that keeps what it was sent. */
function terminal(isTTY: boolean): Terminal & { output: string } {
  const sink = { output: '', isTTY, columns: 120, write: (text: string) => { sink.output += text; return true; } };
  return sink;
}

describe('CLI: floe run progress', () => {
  it("reads the job's progress lines back into numbers, and nothing else as one", () => {
    // Act
    const parsed = [HALFWAY, PAST, UNKNOWN, READ_DONE, 'pg/s.t: GlueStarted'].map(parseProgressLine);

    // Assess
    expect(parsed).toEqual([
      { table: 's.t', rows: 50_000, expectedRows: 100_000, rowsPerSecond: 5_000, etaSeconds: 10 },
      { table: 's.t', rows: 120_000, expectedRows: 100_000, rowsPerSecond: 12_000, etaSeconds: null },
      { table: 's.t', rows: 50_000, expectedRows: null, rowsPerSecond: 5_000, etaSeconds: null },
      null,
      null,
    ]);
  });

  it('draws a bar with the share, rows/s and ETA, and fits it to the terminal width', () => {
    // Prepare
    const halfway = parseProgressLine(HALFWAY);
    const long = parseProgressLine(`${'a'.repeat(200)}: 1 of ~2 rows (50%), 1 rows/s, ETA 4,000 s`);

    // Act
    const bars = [halfway, parseProgressLine(PAST), parseProgressLine(UNKNOWN)].map((p) => (p === null ? '' : progressBar(p)));

    // Assess
    expect(bars).toEqual([
      's.t  [############------------]  50%  50,000 / ~100,000 rows  5,000 rows/s  ETA 10 s',
      's.t  [########################] 100%  120,000 / ~100,000 rows  12,000 rows/s  past the estimate',
      's.t  50,000 rows  5,000 rows/s',
    ]);
    expect(long === null ? '' : progressBar(long, 80)).toHaveLength(79);
    expect(progressBar({ table: 't', rows: 1, expectedRows: 10, rowsPerSecond: 1, etaSeconds: 3_725 })).toContain('ETA 1 h 2 min');
  });

  it('on a terminal keeps one bar per table under the run lines, redrawn in place, and none once the table is read', () => {
    // Prepare
    const tty = terminal(true);
    const progress = new RunProgress(tty);

    // Act
    progress.line('pg/s.t: GlueStarted (floe-extract)');
    progress.jobLine('s.t: 10,000 of ~100,000 rows (10%), 5,000 rows/s, ETA 18 s');
    progress.jobLine('s.u: 2,000 rows, 1,000 rows/s');
    progress.jobLine(HALFWAY);
    progress.line('pg/s.u: GlueStarted (floe-extract)');
    const during = screenOf(tty.output);
    progress.jobLine(READ_DONE);
    const after = screenOf(tty.output);
    progress.end();

    // Assess
    expect(during).toEqual([
      'pg/s.t: GlueStarted (floe-extract)',
      'pg/s.u: GlueStarted (floe-extract)',
      's.t  [############------------]  50%  50,000 / ~100,000 rows  5,000 rows/s  ETA 10 s',
      's.u  2,000 rows  1,000 rows/s',
    ]);
    expect(after).toEqual(['pg/s.t: GlueStarted (floe-extract)', 'pg/s.u: GlueStarted (floe-extract)', `  ${READ_DONE}`, 's.u  2,000 rows  1,000 rows/s']);
    expect(screenOf(tty.output)).toEqual(['pg/s.t: GlueStarted (floe-extract)', 'pg/s.u: GlueStarted (floe-extract)', `  ${READ_DONE}`]);
  });

  it('anywhere else writes every line as it came, with no cursor moves', () => {
    // Prepare
    const pipe = terminal(false);
    const progress = new RunProgress(pipe);

    // Act
    progress.line('pg/s.t: GlueStarted (floe-extract)');
    progress.jobLine(HALFWAY);
    progress.jobLine(READ_DONE);
    progress.end();

    // Assess
    expect(pipe.output).toBe(`pg/s.t: GlueStarted (floe-extract)\n  ${HALFWAY}\n  ${READ_DONE}\n`);
  });
});
