import { z } from 'zod';
import { EventValidationError, describeIssues } from './errors.js';
import { CountSchema, IngestModeSchema, WatermarkSchema } from './floe-detail.js';

/** One Parquet file the extraction wrote. */
export const ManifestFileSchema = z.object({
  /** Key relative to the raw root: `{Engine}/{database}/{table}/{yyyy-mm-dd}/{hh}/{runId}-{part}.parquet`. */
  path: z.string().min(1),
  /** Full location: `s3://…` or a local path. */
  url: z.string().min(1),
  rows: CountSchema,
  bytes: CountSchema,
  /** Part name, `{part}-{file}` e.g. `0-0`. */
  part: z.string().min(1),
});

/** One source column and the Arrow type it was written as (see glue/README.md, "Types"). */
export const ManifestColumnSchema = z.object({
  name: z.string().min(1),
  /** The source's type name, e.g. `timestamp with time zone`. */
  sourceType: z.string().min(1),
  /** Arrow's type string, e.g. `timestamp[us, tz=UTC]`, `decimal128(12, 2)`. */
  arrowType: z.string().min(1),
  nullable: z.boolean(),
});

/** The incremental window actually read; bounds are text in the column's own type. */
export const ManifestWindowSchema = z.object({
  column: z.string().min(1),
  /** Effective lower bound after the lookback; `null` on a first run. */
  from: z.string().nullable(),
  to: z.string().nullable(),
  fromExclusive: z.boolean(),
});

const instant = z.iso.datetime({ offset: true });

/**
 * What the job saw of the source's writing transactions just before its snapshot
 * (glue/floe_extract/open_transactions.py). `unseen`: how many the role could not see start,
 * null when it could not look at all; `privilege` says what to grant then.
 */
export const ManifestOpenTransactionsSchema = z.object({
  measuredAt: instant,
  oldestStart: instant.nullable(),
  writing: CountSchema,
  unseen: CountSchema.nullable(),
  privilege: z.string().min(1).optional(),
});

/**
 * How far the watermark stayed behind a transaction still open when the run started: it moved
 * to `to` (null: nowhere new), not to `read`, the largest value the run read.
 */
export const WatermarkHeldSchema = z.object({
  to: z.string().nullable(),
  read: z.string(),
  openSince: instant.nullable(),
  seconds: z.number().min(0),
});
export type WatermarkHeld = z.infer<typeof WatermarkHeldSchema>;

/** The raw layout's engine folders (glue/floe_extract/layout.py). */
const ENGINE_FOLDERS = { postgres: 'PostgreSQL', mysql: 'MySQL' } as const;

/**
 * Why a file path of the manifest is not inside its run's table folder, or null when it is. Paths
 * are joined to the raw root (a folder, or an S3 prefix) by whoever loads them: one that is
 * absolute, climbs out with `..`, names another table's folder or a URL would load what is not
 * this run's. Control characters in the path come out escaped (JSON quoting).
 */
function filePathProblem(path: string, m: { runId: string; engine: 'postgres' | 'mysql'; database: string; table: string }): string | null {
  const folder = `${ENGINE_FOLDERS[m.engine]}/${m.database}/${m.table}/`;
  const segments = path.split('/');
  // Below the table folder the job writes `{YYYY-MM-DD}/{HH}/{runId}-{part}.parquet`: no backslash
  // (a separator on Windows) there. The table folder itself may hold one: a table may be named so.
  const confined =
    path.startsWith(folder) &&
    path.length > folder.length &&
    !path.slice(folder.length).includes('\\') &&
    !/[\u0000-\u001f\u007f-\u009f]/.test(path) &&
    segments.every((segment) => segment !== '' && segment !== '.' && segment !== '..');
  if (confined) return null;
  return `run ${m.runId}: file path ${JSON.stringify(path)} is outside the run's table folder ${JSON.stringify(folder)} under the raw root; nothing of the run is loaded`;
}

/**
 * The extraction job's manifest, `RAW_ROOT/_manifests/{runId}.json`, written
 * last and atomically: its presence means every file it lists is complete.
 * Besides the shape, it checks that `totalRows` is the sum of the files' rows, and that every
 * file path (data and rejects) lies in the run's table folder,
 * `{PostgreSQL|MySQL}/{database}/{table}/`, with no `.`, `..` or empty segment: nothing outside
 * it is ever loaded, whatever the raw root (a folder or `s3://`).
 *
 * @example
 * ```json
 * {
 *   "manifestVersion": 1, "runId": "fixture1", "engine": "postgres", "database": "clr",
 *   "table": "floe_fixture.coupons", "mode": "incremental", "primaryKey": ["id"],
 *   "incrementalColumn": "updated_at", "partitionColumn": null,
 *   "window": {"column": "updated_at", "from": null, "to": "2025-11-05 12:00:00.000000+00:00", "fromExclusive": true},
 *   "previousWatermark": null, "newWatermark": "2025-11-05 12:00:00.000000+00:00",
 *   "nullIncrementalRows": 0, "totalRows": 3,
 *   "files": [{"path": "PostgreSQL/clr/floe_fixture.coupons/2026-11-25/12/fixture1-0-0.parquet",
 *              "url": "/raw/PostgreSQL/clr/floe_fixture.coupons/2026-11-25/12/fixture1-0-0.parquet",
 *              "rows": 3, "bytes": 1462, "part": "0-0"}],
 *   "columns": [{"name": "id", "sourceType": "bigint", "arrowType": "int64", "nullable": false}],
 *   "startedAt": "2026-11-25T12:02:38.886089+00:00", "finishedAt": "2026-11-25T12:02:38.960042+00:00",
 *   "runTime": "2026-11-25T12:02:38.885585+00:00", "extractorVersion": "0.1.0"
 * }
 * ```
 * (`columns` shortened; the full file is test/fixtures/manifest.json.)
 * @see ../glue/README.md, "Manifest"
 */
/** The source catalog's estimate of a table: rows (null before it was analyzed) and bytes on disk. */
export const ManifestSourceSizeSchema = z.object({ rows: CountSchema.nullable(), bytes: CountSchema.nullable() });
export type ManifestSourceSize = z.infer<typeof ManifestSourceSizeSchema>;

export const ManifestSchema = z
  .object({
    manifestVersion: z.literal(1),
    runId: z.string().min(1),
    engine: z.enum(['postgres', 'mysql']),
    /** Logical database name (`--database`), used in paths. */
    database: z.string().min(1),
    table: z.string().min(1),
    mode: IngestModeSchema,
    /** May be empty for a table without a declared key (full mode). */
    primaryKey: z.array(z.string().min(1)),
    incrementalColumn: z.string().min(1).nullable(),
    partitionColumn: z.string().min(1).nullable(),
    window: ManifestWindowSchema.nullable(),
    previousWatermark: WatermarkSchema,
    newWatermark: WatermarkSchema,
    /** Rows the incremental column leaves NULL (incremental runs cannot see them); `null` in full mode. */
    nullIncrementalRows: CountSchema.nullable(),
    totalRows: CountSchema,
    files: z.array(ManifestFileSchema),
    /**
     * Values no destination holds exactly, set aside under the table's policy (quarantine or
     * coerce), with the file listing each (run id, key, column, value, reason, action). Absent in
     * manifests of jobs before quarantine.
     */
    rejects: z
      .object({ rows: CountSchema, byColumn: z.record(z.string(), CountSchema), file: ManifestFileSchema.nullable() })
      .optional(),
    /**
     * A repair run's window (the job's `--keys`): the primary keys it was asked to read, one text
     * (or null) per key column. Absent for normal runs.
     */
    keys: z.array(z.array(z.string().nullable()).min(1)).optional(),
    /** Absent in manifests of jobs before the hold-back (README, "Incremental runs and open transactions"). */
    openTransactions: ManifestOpenTransactionsSchema.optional(),
    /** Set when an open transaction held the watermark back; null or absent otherwise. */
    watermarkHeld: WatermarkHeldSchema.nullable().optional(),
    columns: z.array(ManifestColumnSchema).min(1),
    startedAt: instant,
    finishedAt: instant,
    runTime: instant,
    extractorVersion: z.string().min(1),
    /** Which job landed the files (`python` or `spark`); absent in manifests of jobs before the Spark engine. */
    extractionEngine: z.enum(['python', 'spark']).optional(),
    /**
     * The source catalog's estimate of the whole table when the run read it (rows, bytes on disk):
     * what `engine: auto` decides the table's next run by where the source is out of reach.
     * Null when the catalog gave none; absent in manifests of jobs before it.
     */
    sourceSize: ManifestSourceSizeSchema.nullable().optional(),
  })
  .refine((m) => m.files.reduce((sum, f) => sum + f.rows, 0) === m.totalRows, {
    message: 'totalRows must equal the sum of files[].rows',
    path: ['totalRows'],
  })
  .superRefine((m, ctx) => {
    const listed = [
      ...m.files.map((file, index) => ({ file, at: ['files', index, 'path'] })),
      ...(m.rejects?.file ? [{ file: m.rejects.file, at: ['rejects', 'file', 'path'] }] : []),
    ];
    for (const { file, at } of listed) {
      const problem = filePathProblem(file.path, m);
      if (problem !== null) ctx.addIssue({ code: 'custom', path: at, message: problem });
    }
  });

export type Manifest = z.infer<typeof ManifestSchema>;
export type ManifestFile = z.infer<typeof ManifestFileSchema>;
export type ManifestColumn = z.infer<typeof ManifestColumnSchema>;

/**
 * Check a manifest read from `location`; throws {@link EventValidationError}
 * naming the location and key path, e.g. `manifest s3://…/r1.json: files.0.rows: …`.
 */
export function parseManifest(raw: unknown, location: string): Manifest {
  const result = ManifestSchema.safeParse(raw);
  if (!result.success) {
    throw new EventValidationError(`manifest ${location}: ${describeIssues(result.error)}`, { cause: result.error });
  }
  return result.data;
}
