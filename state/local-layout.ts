import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** Characters a file name keeps as they are: lower case only, so a case-insensitive file system (macOS, Windows) keeps names apart. */
const KEPT = /^[a-z0-9_.=-]$/;
/** Longer encoded names are cut and end in `~` and a hash: NAME_MAX is 255 bytes on most file systems. */
const MAX_NAME = 200;
const KEEP_BEFORE_HASH = 160;

/**
 * A file name for any item key (a source, a table, a run id, a Glue job run id), the same on every
 * file system: lower-case letters, digits and `_ . = -` stay; an upper-case letter becomes `^` and
 * the letter (`T` → `^t`); every other byte of the UTF-8 text becomes `%` and two lower-case hex
 * digits (`/` → `%2f`), as does a leading `.`. Different keys give different names, even where the
 * file system ignores case. A name longer than 200 characters is cut and ends in `~` and a hash of
 * the key; {@link keyOfFileName} cannot read such a name back.
 */
export function fileName(key: string): string {
  let name = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const char = String.fromCharCode(byte);
    if (KEPT.test(char) && !(name === '' && char === '.')) name += char;
    else if (char >= 'A' && char <= 'Z') name += `^${char.toLowerCase()}`;
    else name += `%${byte.toString(16).padStart(2, '0')}`;
  }
  if (name.length <= MAX_NAME) return name;
  let cut = name.slice(0, KEEP_BEFORE_HASH);
  // Never cut an escape in two.
  const escape = Math.max(cut.lastIndexOf('%'), cut.lastIndexOf('^'));
  if (escape !== -1 && cut.length - escape < (cut[escape] === '%' ? 3 : 2)) cut = cut.slice(0, escape);
  return `${cut}~${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

/** The key a {@link fileName} came from; null for a name cut and hashed (or not one of ours). */
export function keyOfFileName(name: string): string | null {
  if (name.includes('~')) return null;
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i += 1) {
    const char = name[i] ?? '';
    if (char === '^') {
      bytes.push((name[i + 1] ?? '').toUpperCase().charCodeAt(0));
      i += 1;
    } else if (char === '%') {
      bytes.push(Number.parseInt(name.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(char.charCodeAt(0));
  }
  return bytes.some((byte) => Number.isNaN(byte)) ? null : Buffer.from(bytes).toString('utf8');
}

/** The run index orders by `requestedAt`: as milliseconds shifted past any valid Date, fixed width, so names sort as times do. */
const DATE_SPAN_MS = 8_640_000_000_000_000;
export const indexTime = (requestedAt: string): string => String(Date.parse(requestedAt) + DATE_SPAN_MS).padStart(17, '0');
export const requestedAtOfIndexTime = (time: string): string => new Date(Number(time) - DATE_SPAN_MS).toISOString();

/**
 * Where each item of the local state store lives: one file per item, the same items DynamoDB keeps
 * one per row (`items.ts`), so every operation reads and writes a few small files whatever the
 * number of tables or the length of the history.
 *
 * ```
 * FOLDER/
 *   table-config/SOURCE/TABLE.json      TableConfig                        (DynamoDB: table config)
 *   runtime/SOURCE/TABLE.json           TableState: watermark, lease, last run (runtime)
 *   source-slots/SOURCE.json            SourceSlots: connection slots held  (runtime, pk slots:SOURCE)
 *   runs/RUN.json                       RunRecord                          (runs)
 *   runs-by-table/SOURCE/TABLE/TIME.RUN  empty entry per run of the table   (runs' byTable index)
 *   runs-by-job-run/JOB_RUN/RUN         empty entry per run of a Glue job run (runs' byJobRunId index)
 *   locks/SCOPE.lock, SCOPE.journal     a writer's lock; a multi-item write in progress
 *   tmp/                                files being written, renamed into place when whole
 *   state.v1.json                       the single-document state.json of floe before issue 20, kept after migration
 * ```
 *
 * Every name is a {@link fileName}. An index entry's content is its run id, read only when the
 * name had to be cut. `events.jsonl`, the local bus's event log, lives in the same folder.
 */
export class LocalLayout {
  constructor(readonly folder: string) {}

  tableConfigs(source: string): string {
    return join(this.folder, 'table-config', fileName(source));
  }
  tableConfig(source: string, table: string): string {
    return join(this.tableConfigs(source), `${fileName(table)}.json`);
  }
  runtime(source: string, table: string): string {
    return join(this.folder, 'runtime', fileName(source), `${fileName(table)}.json`);
  }
  sourceSlots(source: string): string {
    return join(this.folder, 'source-slots', `${fileName(source)}.json`);
  }
  run(runId: string): string {
    return join(this.folder, 'runs', `${fileName(runId)}.json`);
  }
  /** The byTable index: every source's folder, one folder per table inside. */
  get runsByTable(): string {
    return join(this.folder, 'runs-by-table');
  }
  runsOfTable(source: string, table: string): string {
    return join(this.runsByTable, fileName(source), fileName(table));
  }
  runOfTable(source: string, table: string, requestedAt: string, runId: string): string {
    return join(this.runsOfTable(source, table), `${indexTime(requestedAt)}.${fileName(runId)}`);
  }
  runsOfJobRun(jobRunId: string): string {
    return join(this.folder, 'runs-by-job-run', fileName(jobRunId));
  }
  runOfJobRun(jobRunId: string, runId: string): string {
    return join(this.runsOfJobRun(jobRunId), fileName(runId));
  }
  get locks(): string {
    return join(this.folder, 'locks');
  }
  lock(scope: string): string {
    return join(this.locks, `${fileName(scope)}.lock`);
  }
  journal(scope: string): string {
    return join(this.locks, `${fileName(scope)}.journal`);
  }
  get temp(): string {
    return join(this.folder, 'tmp');
  }
  /** The version-1 single document, its lock, and where migration keeps it. */
  get v1(): { file: string; lock: string; kept: string } {
    return { file: join(this.folder, 'state.json'), lock: join(this.folder, 'state.json.lock'), kept: join(this.folder, 'state.v1.json') };
  }
}
