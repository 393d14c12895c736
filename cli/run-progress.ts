/**
 * What `floe run` shows while it runs. Each extraction job prints a progress line every few
 * seconds (glue/floe_extract/run_log.py, `progress_line`); on a terminal each table reading rows
 * gets one bar below the run's other lines, redrawn in place, with rows/s and an ETA when the job
 * knows the table's row estimate. Anywhere else (a pipe, a CI log) every line is written as it came,
 * since a bar drawn with cursor moves is noise in a file.
 */

/** Where the lines go: stderr, whose `isTTY` and `columns` decide the form. */
export interface Terminal {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** One progress line of an extraction job, read back into numbers. */
export interface JobProgress {
  readonly table: string;
  readonly rows: number;
  /** The catalog's estimate of the rows the run reads; null when the job did not know it. */
  readonly expectedRows: number | null;
  readonly rowsPerSecond: number;
  /** Null when unknown, or when the rows went past the estimate. */
  readonly etaSeconds: number | null;
}

const NUMBER = String.raw`([\d,]+)`;
/** `t: 12,345 of ~100,000 rows (12%), 5,000 rows/s, ETA 18 s`, `… (past the estimate), 5,000 rows/s`, or `t: 12,345 rows, 5,000 rows/s`. */
const PROGRESS = new RegExp(
  String.raw`^(.+?): ${NUMBER}(?: of ~${NUMBER})? rows(?: \((?:\d+%|past the estimate)\))?, ${NUMBER} rows/s(?:, ETA (?:${NUMBER} s|unknown))?$`,
);
/** The job's last line of a table's read: `t: 100,000 rows in 2 file(s), 1.2 s, 80,000 rows/s`. */
const READ_DONE = /^(.+?): [\d,]+ rows in \d+ file\(s\), /;

const count = (text: string | undefined): number | null => (text === undefined ? null : Number(text.replaceAll(',', '')));

/** The numbers of a job's progress line, or null for any other line. */
export function parseProgressLine(line: string): JobProgress | null {
  const match = PROGRESS.exec(line);
  if (match === null) return null;
  const [, table = '', rows, expected, rate, eta] = match;
  return { table, rows: count(rows) ?? 0, expectedRows: count(expected), rowsPerSecond: count(rate) ?? 0, etaSeconds: count(eta) };
}

const BAR_WIDTH = 24;

/** One table's bar: `t  [#####-------]  41%  41,000 / ~100,000 rows  5,000 rows/s  ETA 12 s`. */
export function progressBar(progress: JobProgress, columns = 100): string {
  const rate = `${progress.rowsPerSecond.toLocaleString('en-US')} rows/s`;
  let text: string;
  if (progress.expectedRows === null) {
    text = `${progress.table}  ${progress.rows.toLocaleString('en-US')} rows  ${rate}`;
  } else {
    const share = Math.min(1, progress.rows / Math.max(progress.expectedRows, 1));
    const filled = Math.round(share * BAR_WIDTH);
    const eta = progress.rows > progress.expectedRows ? 'past the estimate' : progress.etaSeconds === null ? 'ETA unknown' : `ETA ${duration(progress.etaSeconds)}`;
    text = `${progress.table}  [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${`${Math.floor(share * 100)}%`.padStart(4)}  ` +
      `${progress.rows.toLocaleString('en-US')} / ~${progress.expectedRows.toLocaleString('en-US')} rows  ${rate}  ${eta}`;
  }
  // A bar that wraps would take two lines, and the redraw moves up by one per bar.
  return text.length < columns ? text : `${text.slice(0, Math.max(columns - 2, 1))}…`;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${seconds % 60} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** The run's lines, and on a terminal one bar per table being read. */
export class RunProgress {
  private readonly bars = new Map<string, JobProgress>();
  /** How many bar lines are on the screen below the last ordinary line. */
  private drawn = 0;

  constructor(private readonly terminal: Terminal) {}

  /** A line of the run's own (an event): above the bars. */
  line(text: string): void {
    this.clear();
    this.terminal.write(`${text}\n`);
    this.draw();
  }

  /** A line an extraction job printed: a progress line becomes its table's bar on a terminal. */
  jobLine(text: string): void {
    const progress = this.terminal.isTTY ? parseProgressLine(text) : null;
    if (progress !== null) {
      this.clear();
      this.bars.set(progress.table, progress);
      this.draw();
      return;
    }
    const done = READ_DONE.exec(text);
    if (done?.[1] !== undefined) {
      this.clear();
      this.bars.delete(done[1]);
    }
    this.line(`  ${text}`);
  }

  /** The run is over: no bar stays on the screen above the summary. */
  end(): void {
    this.clear();
    this.bars.clear();
  }

  private clear(): void {
    if (this.drawn === 0) return;
    // Up to the first bar's line, then erase from there to the end of the screen.
    this.terminal.write(`\x1b[${this.drawn}A\r\x1b[J`);
    this.drawn = 0;
  }

  private draw(): void {
    if (!this.terminal.isTTY || this.bars.size === 0) return;
    // A pseudo-terminal nobody sized reports 0 columns.
    const columns = this.terminal.columns || 100;
    this.terminal.write([...this.bars.values()].map((bar) => `${progressBar(bar, columns)}\n`).join(''));
    this.drawn = this.bars.size;
  }
}
