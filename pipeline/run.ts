import type { Manifest } from '../events/index.js';

/** The run an event names: its `runId`, `source` and `table`. */
export interface RunRef {
  runId: string;
  source: string;
  table: string;
}

/** The run's key columns' values, one text (or null) per column, as a repair run carries them. */
export type RepairKeys = readonly (readonly (string | null)[])[];

/**
 * What a run does, decided once from its manifest instead of from flags: `full` replaces staging
 * with what it read; `incremental` merges what it read past the watermark; `append` (an incremental
 * run of a table without a primary key, which config allows only in `mode: append`) adds what it
 * read past the watermark, restating what staging holds of its window; `repair` reads exactly the
 * keys `floe check --repair` asked for, removes their staging rows and merges them back, and never
 * moves the watermark.
 */
export type RunKind =
  | { readonly kind: 'full' }
  | { readonly kind: 'incremental' }
  | { readonly kind: 'append' }
  | { readonly kind: 'repair'; readonly keys: RepairKeys };

export function runKindOf(manifest: Pick<Manifest, 'mode' | 'keys' | 'primaryKey'>): RunKind {
  if (manifest.keys !== undefined) return { kind: 'repair', keys: manifest.keys };
  if (manifest.mode === 'incremental' && manifest.primaryKey.length === 0) return { kind: 'append' };
  return { kind: manifest.mode };
}

/** The run read everything past the committed watermark: its new watermark is committed, even when it read nothing. */
export function readsPastWatermark(kind: RunKind): boolean {
  return kind.kind === 'incremental' || kind.kind === 'append';
}

/** The run reads only what is past a point (or exact keys), so it may read no row at all and change nothing. */
export function readsWindow(kind: RunKind): boolean {
  return kind.kind !== 'full';
}
