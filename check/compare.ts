import { keysPresentSql, rangeDigestSql, rowCopiesSql, rowDigestSql, type BoundQuery, type CheckedTable } from './digest-sql.js';

/** A database `floe check` reads: runs one query, rows as objects. */
export interface CheckSide {
  query(query: BoundQuery): Promise<Record<string, unknown>[]>;
}

/** What differs between the source and staging, within the rows the watermark covers. */
export interface Drift {
  sourceRows: number;
  stagingRows: number;
  /**
   * Key texts (see {@link keyValues}) of rows in the source but not in staging. For a table without
   * a key, each row's text (all its values), once per copy missing: a row the source holds twice
   * and staging once is listed once.
   */
  missing: string[];
  /** In staging but not in the source. */
  extra: string[];
  /** In both, with different values. Never for a table without a key: a changed row is one missing and one extra. */
  different: string[];
  /** Rows that differ only because they changed after the committed watermark: not drift. */
  changedSinceWatermark: number;
  /** Digest queries run per side: how far the ranges had to be narrowed. */
  rounds: number;
  /**
   * The differing ranges held more rows than floe lists ({@link MAX_ROWS_LISTED}) once narrowing
   * stopped paying: the keys are those of a sample of those ranges, at least the row limit's
   * worth, so the counts are lower bounds. In a sample, a row that differs may be listed as
   * missing or extra (its other version in a range left out), or counted as changed since the
   * watermark.
   */
  sampled?: boolean;
}

/** One digest round, as it ends: for progress lines on long checks. */
export interface RoundDone {
  round: number;
  /** Hex digits of the hash per range; 0 for the whole table. */
  length: number;
  ranges: number;
  differing: number;
  /** Rows in the differing ranges, the larger side's. */
  rowsInDiffering: number;
  /** Covered rows on each side: every round reads them all. */
  sourceRows: number;
  stagingRows: number;
  seconds: number;
}

/** Below this many rows in the differing ranges, the rows themselves are compared. */
export const ROW_LIMIT = 10_000;
/** md5 has 32 hex digits; ranges never narrow past that. */
const MAX_PREFIX = 32;
/** Past this many rows in the differing ranges, only a sample of them is listed. */
export const MAX_ROWS_LISTED = 500_000;
/** A narrowing round returns at most this many ranges per side. */
const MAX_RANGES_RETURNED = 262_144;

interface Range {
  rows: number;
  hashSum: string;
}

/**
 * How many hex digits the first split of a differing table uses: about 16 rows per range, so a few
 * scattered differences are down to their rows after one more scan, but never more than 65 536
 * ranges (4 digits) returned at once.
 */
function firstSplit(rows: number): number {
  return Math.min(4, Math.max(2, Math.ceil(Math.log(Math.max(rows, 1) / 16) / Math.log(16))));
}

/**
 * The prefix length of the next narrowing round (two more digits, or one where two would return
 * more than {@link MAX_RANGES_RETURNED} ranges), or null where even one would.
 */
function nextLength(length: number, differingRanges: number, rowsInDiffering: number, tableRows: number): number | null {
  if (length === 0) return firstSplit(tableRows);
  for (const step of [2, 1]) {
    const next = Math.min(length + step, MAX_PREFIX);
    if (next > length && Math.min(rowsInDiffering, differingRanges * 16 ** (next - length)) <= MAX_RANGES_RETURNED) return next;
  }
  return null;
}

/** The first differing ranges (in hash order) that together hold at least `rows` rows on one side. */
function sampleOf(differing: readonly string[], src: Map<string, Range>, stg: Map<string, Range>, rows: number): string[] {
  const picked: string[] = [];
  let total = 0;
  for (const range of differing) {
    if (total >= rows) break;
    picked.push(range);
    total += Math.max(src.get(range)?.rows ?? 0, stg.get(range)?.rows ?? 0);
  }
  return picked;
}

async function ranges(side: CheckSide, query: BoundQuery): Promise<Map<string, Range>> {
  const rows = await side.query(query);
  return new Map(rows.map((row) => [String(row['key_range']), { rows: Number(row['row_count']), hashSum: String(row['hash_sum']) }]));
}

/** Per row hash: how many rows have it, and one of them as text. */
async function rowCopies(side: CheckSide, query: BoundQuery): Promise<Map<string, { copies: number; text: string }>> {
  const rows = await side.query(query);
  return new Map(rows.map((row) => [String(row['row_hash']), { copies: Number(row['copies']), text: String(row['row_text']) }]));
}

/**
 * A table without a key, in the ranges that differ: the rows one side holds more copies of than
 * the other, each listed once per copy it lacks. Rows are whole values, so none is "different", and
 * none changed after the watermark: a changed row is another row.
 */
async function listCopies(
  source: { side: CheckSide; table: CheckedTable },
  staging: { side: CheckSide; table: CheckedTable },
  length: number,
  listed: readonly string[] | null,
): Promise<{ missing: string[]; extra: string[] }> {
  const [src, stg] = await Promise.all([
    rowCopies(source.side, rowCopiesSql(source.table, length, listed)),
    rowCopies(staging.side, rowCopiesSql(staging.table, length, listed)),
  ]);
  const surplus = (more: Map<string, { copies: number; text: string }>, less: Map<string, { copies: number; text: string }>): string[] =>
    [...more].flatMap(([hash, { copies, text }]) => Array<string>(Math.max(copies - (less.get(hash)?.copies ?? 0), 0)).fill(text));
  return { missing: surplus(src, stg).sort(), extra: surplus(stg, src).sort() };
}

async function rowHashes(side: CheckSide, query: BoundQuery): Promise<Map<string, string>> {
  const rows = await side.query(query);
  return new Map(rows.map((row) => [String(row['row_key']), String(row['row_hash'])]));
}

/** Key texts per lookup query, by size: MySQL takes a statement of at most 16 MB by default. */
const KEYS_PER_LOOKUP_BYTES = 4 * 1024 * 1024;

/** Which of `keys` the table holds at all (past the watermark included): one scan per 4 MB of keys. */
async function present(side: CheckSide, table: CheckedTable, keys: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  let batch: string[] = [];
  let bytes = 0;
  const lookUp = async () => {
    if (batch.length === 0) return;
    for (const row of await side.query(keysPresentSql(table, batch))) found.add(String(row['row_key']));
    batch = [];
    bytes = 0;
  };
  for (const key of keys) {
    const size = Buffer.byteLength(JSON.stringify(key)) + 1;
    if (bytes + size > KEYS_PER_LOOKUP_BYTES) await lookUp();
    batch.push(key);
    bytes += size;
  }
  await lookUp();
  return found;
}

/**
 * Compares the two tables range by range, narrowing the ranges that differ until few rows are
 * left, then row by row. With a watermark, a row only one side covers is looked up on the other
 * side without it: found there, it changed after the watermark and is not counted as drift.
 */
export async function compareTables(
  source: { side: CheckSide; table: CheckedTable },
  staging: { side: CheckSide; table: CheckedTable },
  options: { rowLimit?: number; maxRowsListed?: number; onRound?: (round: RoundDone) => void } = {},
): Promise<Drift> {
  const { rowLimit = ROW_LIMIT, maxRowsListed = MAX_ROWS_LISTED } = options;
  let length = 0;
  let within: { length: number; prefixes: string[] } | null = null;
  let totals: { sourceRows: number; stagingRows: number } | null = null;
  for (let rounds = 1; ; rounds += 1) {
    const started = performance.now();
    const [src, stg]: [Map<string, Range>, Map<string, Range>] = await Promise.all([
      ranges(source.side, rangeDigestSql(source.table, length, within)),
      ranges(staging.side, rangeDigestSql(staging.table, length, within)),
    ]);
    const sum = (map: Map<string, Range>, keys?: Iterable<string>) => [...(keys ?? map.keys())].reduce((total, key) => total + (map.get(key)?.rows ?? 0), 0);
    totals ??= { sourceRows: sum(src), stagingRows: sum(stg) };
    const differing: string[] = [...new Set([...src.keys(), ...stg.keys()])]
      .filter((key) => src.get(key)?.rows !== stg.get(key)?.rows || src.get(key)?.hashSum !== stg.get(key)?.hashSum)
      .sort();
    const rowsInDiffering = Math.max(sum(src, differing), sum(stg, differing));
    options.onRound?.({
      round: rounds, length, ranges: new Set([...src.keys(), ...stg.keys()]).size, differing: differing.length,
      rowsInDiffering, ...totals, seconds: (performance.now() - started) / 1000,
    });
    if (differing.length === 0) return { ...totals, missing: [], extra: [], different: [], changedSinceWatermark: 0, rounds };
    // Narrowing pays while the differing ranges hold several rows each, and while the next round's
    // ranges stay few enough to hold (one more digit where two would return too many); past that,
    // the rows are listed, or a sample of them when the differing ranges hold too many.
    const next = nextLength(length, differing.length, rowsInDiffering, Math.max(totals.sourceRows, totals.stagingRows));
    if (rowsInDiffering > rowLimit && next !== null && rowsInDiffering > 2 * differing.length) {
      within = length === 0 ? null : { length, prefixes: differing };
      length = next;
      continue;
    }
    const sampled = length > 0 && rowsInDiffering > maxRowsListed;
    const listed = length === 0 ? null : sampled ? sampleOf(differing, src, stg, rowLimit) : differing;
    if (source.table.multiset === true) {
      const { missing, extra } = await listCopies(source, staging, length, listed);
      return { ...totals, missing, extra, different: [], changedSinceWatermark: 0, rounds, ...(sampled ? { sampled } : {}) };
    }
    const [srcRows, stgRows] = await Promise.all([
      rowHashes(source.side, rowDigestSql(source.table, length, listed)),
      rowHashes(staging.side, rowDigestSql(staging.table, length, listed)),
    ]);
    let missing = [...srcRows.keys()].filter((key) => !stgRows.has(key));
    let extra = [...stgRows.keys()].filter((key) => !srcRows.has(key));
    const different = [...srcRows.keys()].filter((key) => stgRows.has(key) && stgRows.get(key) !== srcRows.get(key));
    let changedSinceWatermark = 0;
    if (source.table.watermark) {
      const stagingHasThem = await present(staging.side, staging.table, missing);
      const sourceHasThem = await present(source.side, source.table, extra);
      changedSinceWatermark = stagingHasThem.size + sourceHasThem.size;
      missing = missing.filter((key) => !stagingHasThem.has(key));
      extra = extra.filter((key) => !sourceHasThem.has(key));
    }
    return { ...totals, missing: missing.sort(), extra: extra.sort(), different: different.sort(), changedSinceWatermark, rounds, ...(sampled ? { sampled } : {}) };
  }
}

/** A key text back to its column values (`null` for NULL), e.g. `V42` → `['42']`. */
export function keyValues(keyText: string): (string | null)[] {
  return keyText.split('\u001f').map((part) => (part === 'N' ? null : part.slice(1)));
}
