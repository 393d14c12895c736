import { z } from 'zod';

import { warehouseTableName } from './warehouse-table-name.js';
import { connectionParameterProblem } from './connection-parameters.js';
import { printable } from './printable.js';
import { columnNameProblem, tableNameProblem } from './identifiers.js';
import { modeProblems } from './table-mode.js';
import { EngineChoiceSchema, MAX_SPARK_PARTITIONS, SparkSettingsSchema, TableSparkSchema } from './extraction-engine.js';
import { RetrySettingsSchema, retryProblems } from './retry.js';
import { parseSnowflakeWarehouseUrl, SnowflakeSettingsSchema } from './snowflake.js';
import { CAPABILITY_USES, missingOnRuntime } from './warehouse-capabilities.js';

/**
 * The schema of `floe.config.yaml`. Its keys are a stable contract; objects are
 * strict (an unknown key is an error, so a typo never silently means "default").
 *
 * @example
 * ```yaml
 * raw: ./.floe/raw
 * state: ./.floe/state
 * warehouse: duckdb://./.floe/warehouse.duckdb
 * gold: ./sql/gold
 * sources:
 *   - name: clr
 *     engine: postgres
 *     connection: ${CLR_URL}
 *     tables:
 *       - name: clr.availed_coupon_snapshots
 *         primaryKey: [id]
 *         incrementalColumn: updated_at
 *         partitionColumn: id
 *         partitions: 2
 * ```
 * @see ../docs/pipeline-seams.md and ../glue/README.md (the job arguments this feeds)
 */

/** Source names become the `{database}` path segment of the raw layout, as in the extraction job. */
const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.=-]{0,127}$/;

export const EngineSchema = z.enum(['postgres', 'mysql']);
export type Engine = z.infer<typeof EngineSchema>;

/**
 * How a table's runs reach staging: `full` replaces it with everything read (one row per key, or
 * every row as it is for a table without a key); `incremental` MERGEs the rows past the watermark
 * on the primary key; `append` adds the rows past the watermark of a table without a key, whose
 * rows are only ever inserted (a log). See README, "Configuration reference".
 */
export const ModeSchema = z.enum(['full', 'incremental', 'append']);
export type Mode = z.infer<typeof ModeSchema>;

/** The mode a table runs in: its `mode`, else `incremental` with an incremental column and `full` without. */
function modeOf(table: { readonly mode?: Mode | undefined; readonly incrementalColumn?: string | undefined }): Mode {
  return table.mode ?? (table.incrementalColumn === undefined ? 'full' : 'incremental');
}

/**
 * The most ranges one table is read in. Each is read on its own thread over its own source
 * connection: 64 stays below the default connection limits of PostgreSQL (100) and MySQL/MariaDB
 * (151), so one table at the cap cannot take a default server's every connection, and past a few
 * dozen concurrent range scans the source's disks, not the reader, set the pace. The extraction job
 * refuses the same number (`MAX_PARTITIONS` in glue/floe_extract/job_args.py; a test compares them).
 */
export const MAX_PARTITIONS = 64;

/** A source's default `maxConnections`: a few parallel reads, far below any server's default limit. */
export const DEFAULT_MAX_CONNECTIONS = 4;

/** See `deletes` in {@link TableObjectSchema}. */
export const DeletesSchema = z.enum(['detect', 'detect-hard']);
export type Deletes = z.infer<typeof DeletesSchema>;

/** See `check` in {@link TableObjectSchema}. */
export const CheckScheduleSchema = z.enum(['after-merge']);
export type CheckSchedule = z.infer<typeof CheckScheduleSchema>;

/** See `unrepresentable` in {@link TableObjectSchema}. */
export const UnrepresentableSchema = z.enum(['quarantine', 'fail', 'coerce']);

/** A name the config can carry to the job and the raw layout (see ./identifiers.ts); the message says why not. */
const nameSchema = (problem: (name: string) => string | null) =>
  z.string().superRefine((name, ctx) => {
    const message = problem(name);
    if (message !== null) ctx.addIssue({ code: 'custom', message });
  });
const ColumnSchema = nameSchema((name) => columnNameProblem(name));
const KeyColumnSchema = nameSchema((name) => columnNameProblem(name, { key: true }));

/** One table as written in the file, before defaults. Exported for its key list. */
export const TableObjectSchema = z.strictObject({
  /** `table` or `schema.table`, matched exactly by the extraction job (no case folding). */
  name: nameSchema(tableNameProblem),
  /**
   * Columns that identify a row; MERGE into staging keys on them. Absent for a table without a
   * key: `mode: full` (each run replaces staging with every row, duplicates kept) or `mode: append`.
   */
  primaryKey: z.array(KeyColumnSchema).min(1).optional(),
  /** Column compared with the watermark; absent means full mode. */
  incrementalColumn: ColumnSchema.optional(),
  /** Integer, date or timestamp column used to split the read into ranges. */
  partitionColumn: ColumnSchema.optional(),
  /**
   * Ranges read over separate connections, at most {@link MAX_PARTITIONS}; with `engine: spark`, the
   * ranges Spark's tasks read (at most {@link MAX_SPARK_PARTITIONS}; unset: one per 256 MiB of the table).
   */
  partitions: z.int().min(1).default(1),
  /** Which job extracts the table: `python`, `spark` or `auto` (default); see ./extraction-engine.ts. */
  engine: EngineChoiceSchema.optional(),
  /** The Spark job's workers for this table (`workerType`, `workers`), over the config's `spark:` section. */
  spark: TableSparkSchema.optional(),
  /** Re-read this much before the watermark, to catch rows committed late. */
  lookbackSeconds: z.int().min(0).default(0),
  /** Default: `incremental` when `incrementalColumn` is set, else `full`. `append`: see {@link ModeSchema}. */
  mode: ModeSchema.optional(),
  /** Overrides the source's `retry`, key by key. */
  retry: RetrySettingsSchema.optional(),
  /**
   * What a value no destination holds exactly (an `infinity` date, `NaN` in a `numeric(p,s)`, a
   * MySQL zero date) becomes: `quarantine` (NULL, recorded in the rejects table), `coerce` (the
   * nearest value, recorded too) or `fail` (the run fails, nothing lands). Default `quarantine`.
   */
  unrepresentable: UnrepresentableSchema.optional(),
  /** Per-column exceptions to `unrepresentable`. Key and incremental columns always fail. */
  unrepresentableColumns: z.record(ColumnSchema, UnrepresentableSchema).optional(),
  /**
   * Rows deleted at the source (found each run by comparing primary keys, up to the watermark):
   * `detect` marks them in staging (`_floe_deleted_at`), `detect-hard` removes them. Absent: staging
   * keeps them as they were. Incremental tables only (a full run already drops them).
   */
  deletes: DeletesSchema.optional(),
  /**
   * `after-merge`: `floe check` of this table after each StageMerged, published as CheckCompleted
   * (in sync or not, counts, sample keys) for a subscriber to alert on. Absent: only on demand.
   */
  check: CheckScheduleSchema.optional(),
});

export const TableSpecSchema = TableObjectSchema.superRefine((table, ctx) => {
  if (table.mode === 'incremental' && table.incrementalColumn === undefined) {
    ctx.addIssue({ code: 'custom', path: ['mode'], message: 'incremental mode needs incrementalColumn (or set mode: full)' });
  }
  if (table.engine === 'spark' && table.partitions > MAX_SPARK_PARTITIONS) {
    ctx.addIssue({
      code: 'custom', path: ['partitions'],
      message: `table ${printable(table.name)}: ${table.partitions} partitions is more than the Spark engine's ${MAX_SPARK_PARTITIONS}`,
    });
  }
  if (table.partitions > MAX_PARTITIONS && table.engine !== 'spark') {
    ctx.addIssue({
      code: 'custom', path: ['partitions'],
      message: `table ${printable(table.name)}: ${table.partitions} partitions is more than ${MAX_PARTITIONS} (each partition holds a source connection and a thread)`,
    });
  }
  if (table.partitions > 1 && table.partitionColumn === undefined) {
    ctx.addIssue({ code: 'custom', path: ['partitions'], message: `${table.partitions} partitions need partitionColumn` });
  }
  const primaryKey = table.primaryKey ?? [];
  primaryKey.forEach((column, index) => {
    if (primaryKey.indexOf(column) !== index) {
      ctx.addIssue({ code: 'custom', path: ['primaryKey', index], message: `column '${column}' is listed twice` });
    }
  });
  for (const { path, message } of modeProblems(table)) ctx.addIssue({ code: 'custom', path: [path], message });
  if (table.deletes !== undefined && modeOf(table) === 'full') {
    ctx.addIssue({
      code: 'custom', path: ['deletes'],
      message: 'deletes applies to incremental tables: a full-mode run replaces staging, so rows gone from the source are already removed',
    });
  }
  for (const [column, policy] of Object.entries(table.unrepresentableColumns ?? {})) {
    const role = primaryKey.includes(column) ? 'a primary-key' : column === table.incrementalColumn ? 'the incremental' : null;
    if (role !== null && policy !== 'fail') {
      ctx.addIssue({
        code: 'custom', path: ['unrepresentableColumns', column],
        message: `column '${column}' is ${role} column: a row cannot land without it, so its unrepresentable values always fail the run`,
      });
    }
  }
}).transform((table) => ({
  ...table,
  // Empty for a table without a key: the job's `--primary-key` is then empty too.
  primaryKey: table.primaryKey ?? [],
  mode: modeOf(table),
}));
export type TableSpec = z.infer<typeof TableSpecSchema>;

/** One source database. Exported for its key list. */
export const SourceObjectSchema = z.strictObject({
  /** Logical name: the `{database}` in the raw layout, and the first half of a table key. */
  name: z
    .string()
    .regex(SOURCE_NAME, { message: 'expected a letter or digit, then letters, digits and _ . = - (it becomes part of file paths)' })
    .refine((name) => !name.includes('__'), { message: "must not contain '__', which separates source and table in warehouse names" }),
  engine: EngineSchema,
  /** A URL (`postgresql://…`, `mysql://…`) or `secretsmanager:<secret id>`; write `${ENV_VAR}`, not the secret. */
  connection: z.string().min(1),
  /** How the extraction job retries a failure that may pass; see ./retry.ts. Tables may override it. */
  retry: RetrySettingsSchema.optional(),
  /**
   * The most connections floe holds on this source at once, across its tables, their parts and
   * checks: tables wait their turn (`queued`) rather than fail. Production sources run near their
   * `max_connections`, and roles often carry a connection limit: give the role at least this many.
   */
  maxConnections: z.int().min(1).max(MAX_PARTITIONS).default(DEFAULT_MAX_CONNECTIONS),
  tables: z.array(TableSpecSchema).default([]),
});

const URL_SCHEMES: Record<Engine, readonly string[]> = { postgres: ['postgres:', 'postgresql:'], mysql: ['mysql:', 'mariadb:'] };
const URL_EXAMPLE: Record<Engine, string> = { postgres: 'postgresql://user:password@host:port/database', mysql: 'mysql://user:password@host:port/database' };

/** Checks the shape of a connection string without ever quoting it. */
function connectionProblem(connection: string, engine: Engine): string | undefined {
  if (connection.startsWith('secretsmanager:')) {
    return connection.length > 'secretsmanager:'.length ? undefined : 'secretsmanager: needs a secret id (secretsmanager:<secret id>)';
  }
  const expected = `not a ${engine} URL (expected ${URL_EXAMPLE[engine]} or secretsmanager:<secret id>)`;
  let url: URL;
  try {
    url = new URL(connection);
  } catch {
    return expected;
  }
  const other = EngineSchema.options.find((candidate) => candidate !== engine && URL_SCHEMES[candidate].includes(url.protocol));
  if (other !== undefined) return `is a ${other} URL but engine is ${engine}`;
  if (!URL_SCHEMES[engine].includes(url.protocol) || url.hostname === '' || url.pathname.replace(/^\//, '') === '') return expected;
  // The job's driver sees only the allow-listed parameters; refused here, `floe run` fails before any run starts.
  for (const [name, value] of url.searchParams) {
    const problem = connectionParameterProblem(name, value, engine);
    if (problem !== null) return problem;
  }
  return undefined;
}

export const SourceConfigSchema = SourceObjectSchema.superRefine((source, ctx) => {
  const problem = connectionProblem(source.connection, source.engine);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['connection'], message: `source ${printable(source.name)}: ${problem}` });
  const first = new Map<string, number>();
  source.tables.forEach((table, index) => {
    const earlier = first.get(table.name);
    if (earlier === undefined) first.set(table.name, index);
    else ctx.addIssue({ code: 'custom', path: ['tables', index, 'name'], message: `duplicate table '${table.name}' (also tables[${earlier}])` });
  });
  source.tables.forEach((table, index) => {
    // Past MAX_PARTITIONS the table's own limit already speaks.
    // A Spark table's partitions are tasks, read a few at a time by its workers' cores, not connections held at once.
    if (table.partitions > source.maxConnections && table.partitions <= MAX_PARTITIONS && table.engine !== 'spark') {
      ctx.addIssue({
        code: 'custom', path: ['tables', index, 'partitions'],
        message: `table ${source.name}/${table.name}: partitions ${table.partitions} is more than the source's maxConnections ${source.maxConnections} (each part holds a connection); lower partitions or raise maxConnections`,
      });
    }
  });
  for (const problem of source.retry === undefined ? [] : retryProblems(source.retry)) {
    ctx.addIssue({ code: 'custom', path: ['retry', ...problem.path], message: `source ${source.name}: ${problem.message}` });
  }
  source.tables.forEach((table, index) => {
    for (const problem of table.retry === undefined ? [] : retryProblems(table.retry, source.retry)) {
      ctx.addIssue({ code: 'custom', path: ['tables', index, 'retry', ...problem.path], message: `table ${source.name}/${table.name}: ${problem.message}` });
    }
  });
});
export type SourceConfig = z.infer<typeof SourceConfigSchema>;

/** Local folder or `s3://bucket/prefix`. */
const RawLocationSchema = z.string().min(1).refine((value) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /^s3:\/\/[^/]+/.test(value), {
  message: 'expected a folder or s3://bucket/prefix',
});
/** Local folder, or `dynamodb` / `dynamodb://<table prefix>`. */
const StateLocationSchema = z.string().min(1).refine((value) => !/^[a-z][a-z0-9+.-]*:/i.test(value) || /^dynamodb(:\/\/.*)?$/.test(value), {
  message: 'expected a folder, dynamodb or dynamodb://<table prefix>',
});
const WarehouseSchema = z
  .string()
  .regex(/^(duckdb|snowflake):\/\/.+/, { message: 'expected duckdb://<file> or snowflake://<account>/…' })
  .refine((value) => !value.startsWith('snowflake://') || parseSnowflakeWarehouseUrl(value) !== null, {
    message: 'expected snowflake://<account>/<database>?user=<user>&warehouse=<warehouse>&role=<role> (no credentials: see the snowflake section)',
  });

/** The whole file. Exported for its key list. */
export const ConfigObjectSchema = z.strictObject({
  raw: RawLocationSchema.default('./.floe/raw'),
  state: StateLocationSchema.default('./.floe/state'),
  warehouse: WarehouseSchema.default('duckdb://./.floe/warehouse.duckdb'),
  gold: z.string().min(1).default('./sql/gold'),
  /** Snowflake account objects and where its credentials are; used when warehouse is snowflake://. */
  snowflake: SnowflakeSettingsSchema.optional(),
  /** When `engine: auto` picks the Spark job, and its workers' type and most count (./extraction-engine.ts). */
  spark: SparkSettingsSchema.optional(),
  sources: z.array(SourceConfigSchema).min(1),
});

export const FloeConfigSchema = ConfigObjectSchema.superRefine((config, ctx) => {
  const first = new Map<string, number>();
  config.sources.forEach((source, index) => {
    const earlier = first.get(source.name);
    if (earlier === undefined) first.set(source.name, index);
    else ctx.addIssue({ code: 'custom', path: ['sources', index, 'name'], message: `duplicate source name '${source.name}' (also sources[${earlier}])` });
  });
  // What a table asks for must be something its runtime can do (see ./warehouse-capabilities.ts).
  config.sources.forEach((source, sourceIndex) => {
    source.tables.forEach((table, tableIndex) => {
      for (const key of ['check', 'deletes'] as const) {
        if (table[key] === undefined) continue;
        const missing = missingOnRuntime(config.state, CAPABILITY_USES[key].capability);
        if (missing === null) continue;
        ctx.addIssue({
          code: 'custom',
          path: ['sources', sourceIndex, 'tables', tableIndex, key],
          message:
            `table ${printable(`${source.name}/${table.name}`)}: ${CAPABILITY_USES[key].what}, which floe cannot do on AWS yet (state: ${config.state}): ${missing}. ` +
            `Remove ${key} from this table, or run floe check (or floe run) from a machine that reaches the source and the warehouse`,
        });
      }
    });
  });
  // Two tables must never share a warehouse table; DuckDB and Snowflake compare names without case.
  const claimed = new Map<string, { owner: string; table: string }>();
  config.sources.forEach((source, sourceIndex) => {
    if (first.get(source.name) !== sourceIndex) return; // a duplicate source is reported above
    source.tables.forEach((table, tableIndex) => {
      const exact = warehouseTableName(source.name, table.name);
      const earlier = claimed.get(exact.toLowerCase());
      if (earlier === undefined) claimed.set(exact.toLowerCase(), { owner: `sources[${sourceIndex}].tables[${tableIndex}]`, table: table.name });
      else if (earlier.table !== table.name) {  // the same name twice is reported as a duplicate table
        ctx.addIssue({
          code: 'custom',
          path: ['sources', sourceIndex, 'tables', tableIndex, 'name'],
          message: `'${table.name}' would land in the same warehouse table as ${earlier.owner} (${exact}, case ignored)`,
        });
      }
    });
  });
});
export type FloeConfig = z.infer<typeof FloeConfigSchema>;
