import { z } from 'zod';

/**
 * A run id: a letter or digit, then at most 127 letters, digits and `_ . = -`. Run ids name files
 * (`_manifests/{runId}.json`, `{runId}-{part}.parquet`) and state keys, so an event whose run id
 * could climb out of the raw folder (`../…`) or split a key (`/`) is refused at the contract,
 * before any handler reads it. The state store keys its items by the same schema (state/items.ts).
 */
export const RunIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.=-]{0,127}$/, {
  message: 'expected a letter or digit, then at most 127 letters, digits and _ . = -',
});

/**
 * Fields every floe event detail carries, so any consumer can tell which run,
 * database and table an event is about, and when it was published.
 */
export const FloeDetailSchema = z.object({
  /** The run this event belongs to; the same id across every step of one ingest. */
  runId: RunIdSchema,
  /** Logical name of the source database (from `floe.config.yaml`), not a connection string. */
  source: z.string().min(1),
  /** Source table as configured, `table` or `schema.table`. */
  table: z.string().min(1),
  /** When the publisher sent this event, ISO-8601 with a zone. */
  publishedAt: z.iso.datetime({ offset: true }),
});

/** How a table is extracted: everything, or rows past the watermark. */
export const IngestModeSchema = z.enum(['full', 'incremental']);
export type IngestMode = z.infer<typeof IngestModeSchema>;

/** A watermark as text in the source column's own type; `null` before the first incremental run. */
export const WatermarkSchema = z.string().nullable();

/** A count of rows or files. */
export const CountSchema = z.int().min(0);

/**
 * A location (S3 URL or local path) that must not embed credentials:
 * events carry facts, never secrets.
 */
export const LocationSchema = z
  .string()
  .min(1)
  .refine((value) => !/^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(value), {
    message: 'must not contain credentials (user:password@); events carry facts, never secrets',
  });
