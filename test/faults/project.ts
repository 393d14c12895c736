import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { statusCommand, type TableStatus } from '../../cli/status.js';
import { unlockCommand } from '../../cli/unlock.js';
import { LocalStateStore } from '../../state/index.js';
import { warehouseTableName } from '../../config/warehouse-table-name.js';
import { CLOCK_AHEAD_VARIABLE } from './clock-ahead.js';
import type { SourceTable } from './source-table.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FLOE = join(REPO_ROOT, 'cli', 'floe.ts');
const CLOCK_AHEAD = join(REPO_ROOT, 'test', 'faults', 'clock-ahead.ts');

/**
 * One table of a floe project in a folder of its own: config, raw folder, state folder, DuckDB
 * file, and a gold model summing the table's staging. Several tables of one project share the folder.
 */
export interface Project {
  readonly folder: string;
  readonly configFile: string;
  readonly source: SourceTable;
  /** The source's name in the config (`src` unless a project has several). */
  readonly sourceName: string;
  /** The table as the config names it: the source's table, or a view over it. */
  readonly table: string;
  /** `raw."…"` and `staging."…"` share this name. */
  readonly warehouseTable: string;
  /** The gold model over this table: one row summing staging, so a stale gold table shows. */
  readonly goldModel: string;
  readonly rawRoot: string;
  readonly warehouseFile: string;
  readonly state: LocalStateStore;
}

export function projectIn(
  folder: string,
  source: SourceTable,
  options: { table?: string; rawRoot?: string; sourceName?: string } = {},
): Project {
  const table = options.table ?? source.table;
  const sourceName = options.sourceName ?? 'src';
  const warehouseTable = warehouseTableName(sourceName, table);
  return {
    folder,
    configFile: join(folder, 'floe.config.yaml'),
    source,
    sourceName,
    table,
    warehouseTable,
    goldModel: `summary__${warehouseTable}`,
    rawRoot: options.rawRoot ?? join(folder, 'raw'),
    warehouseFile: join(folder, 'warehouse.duckdb'),
    state: new LocalStateStore(join(folder, 'state')),
  };
}

/** The job's retry settings for every source of a project, as `floe.config.yaml` writes them. */
export interface ProjectRetry {
  attempts: number;
  backoffSeconds?: number;
  maxBackoffSeconds?: number;
}

/**
 * Writes the config of one project's tables (relative paths, so a copied folder is a project too)
 * and their gold models. Every table is incremental on `updated_at`, partitioned on `id`. The job
 * makes one attempt unless `retry` says otherwise: each fault must show in the run it hit, not be
 * retried away behind floe's default waits.
 */
export async function writeProject(
  tables: Project | readonly Project[],
  options: { partitions?: number; retry?: ProjectRetry } = {},
): Promise<void> {
  const projects = Array.isArray(tables) ? (tables as readonly Project[]) : [tables as Project];
  const [first] = projects;
  if (first === undefined) throw new Error('writeProject: no table');
  await mkdir(join(first.folder, 'gold'), { recursive: true });
  for (const project of projects) {
    await writeFile(
      join(first.folder, 'gold', `${project.goldModel}.sql`),
      `select count(*) as row_count, sum(amount) as amount_total from staging."${project.warehouseTable}"\n`,
    );
  }
  const sources = [...new Set(projects.map((project) => project.sourceName))].map((name) => {
    const ofSource = projects.filter((project) => project.sourceName === name);
    const source = ofSource[0]!.source;
    return [
      `  - name: ${name}`,
      `    engine: ${source.engine}`,
      `    connection: ${source.url}`,
      `    retry: ${JSON.stringify(options.retry ?? { attempts: 1 })}`,
      '    tables:',
      ...ofSource.flatMap((project) => [
        `      - name: ${project.table}`,
        '        primaryKey: [id]',
        '        incrementalColumn: updated_at',
        '        partitionColumn: id',
        `        partitions: ${options.partitions ?? 2}`,
      ]),
    ];
  });
  await writeFile(
    first.configFile,
    [
      `raw: ./${relative(first.folder, first.rawRoot)}`,
      'state: ./state',
      'warehouse: duckdb://./warehouse.duckdb',
      'gold: ./gold',
      'sources:',
      ...sources.flat(),
      '',
    ].join('\n'),
  );
}

export interface FloeResult {
  /** The exit code, or null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/**
 * Runs the floe command as a child process, as a person would (`node --import tsx cli/floe.ts …`),
 * with `env` added to this process's environment; FLOE_FAULT, FLOE_LEASE_TTL_SECONDS and
 * {@link CLOCK_AHEAD_VARIABLE} (which sets the child's clock ahead: clock-ahead.ts) are passed only
 * when `env` names them.
 */
export function floe(args: readonly string[], env: Record<string, string> = {}, onSpawn?: (pid: number) => void): Promise<FloeResult> {
  const started = performance.now();
  const base = { ...process.env };
  delete base['FLOE_FAULT'];
  delete base['FLOE_LEASE_TTL_SECONDS'];
  delete base[CLOCK_AHEAD_VARIABLE];
  const clock = env[CLOCK_AHEAD_VARIABLE] === undefined ? [] : ['--import', CLOCK_AHEAD];
  const child = spawn(process.execPath, ['--import', 'tsx', ...clock, FLOE, ...args], {
    cwd: REPO_ROOT,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) onSpawn?.(child.pid);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  return new Promise((resolveRun, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolveRun({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        seconds: (performance.now() - started) / 1000,
      }),
    );
  });
}

/** `floe run` for the project. */
export function floeRun(project: Project, env: Record<string, string> = {}): Promise<FloeResult> {
  return floe(['run', '--config', project.configFile], env);
}

/** The capture in progress: captures take turns, since each swaps the process's one stdout and stderr. */
let capturing: Promise<unknown> = Promise.resolve();

/**
 * Runs a CLI command in this process with stdout and stderr captured (no jest spy, so the soak
 * script can use it too): status and unlock only read and write the state file, and starting a
 * process for each would cost more than the whole assessment. Calls made at once run one after
 * the other: two overlapping would take each other's output and leave stdout swapped.
 */
function captured(command: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  const turn = capturing.then(() => capture(command));
  capturing = turn.catch(() => undefined);
  return turn;
}

async function capture(command: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: unknown) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const code = await command();
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

/** `floe status --json`: every table of the project's config, at `now` (default the system clock). */
export async function statusesOf(project: Project, now?: Date): Promise<TableStatus[]> {
  const options = now === undefined ? {} : { now: () => now };
  const { code, stdout, stderr } = await captured(() => statusCommand(['--config', project.configFile, '--json'], options));
  if (code !== 0) throw new Error(`floe status exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as TableStatus[];
}

/** `floe status --json`, the project's table, at `now` (default the system clock). */
export async function statusOf(project: Project, now?: Date): Promise<TableStatus> {
  const statuses = await statusesOf(project, now);
  const status = statuses.find((s) => s.source === project.sourceName && s.table === project.table);
  if (!status) throw new Error(`floe status has no ${project.sourceName}/${project.table}: ${JSON.stringify(statuses)}`);
  return status;
}

/** `floe unlock <run-id>` for the project. */
export function unlock(project: Project, runId: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return captured(() => unlockCommand([runId, '--config', project.configFile]));
}

export interface LoggedEvent {
  'detail-type': string;
  detail: Record<string, unknown> & { runId?: string };
}

/** Every event the project's runs published, in order, from `state/events.jsonl`. */
export async function eventsOf(project: Project): Promise<LoggedEvent[]> {
  const text = await readFile(join(project.folder, 'state', 'events.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as LoggedEvent);
}

/** The run id of the table's newest IngestRequested: the run `floe run` started last for it. */
export async function lastRequestedRun(project: Project): Promise<string> {
  const requested = (await eventsOf(project)).filter(
    (event) => event['detail-type'] === 'IngestRequested' && event.detail['source'] === project.sourceName && event.detail['table'] === project.table,
  );
  const runId = requested.at(-1)?.detail.runId;
  if (runId === undefined) throw new Error(`no IngestRequested in ${project.folder}/state/events.jsonl`);
  return runId;
}
