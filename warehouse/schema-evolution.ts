import type { ColumnType, SchemaChange } from '../events/schema-change.js';
import { arrowListOf } from './arrow-list.js';
import { WarehouseError } from './warehouse-error.js';

/**
 * Schema evolution: which differences between a run's columns and the table's last known columns
 * floe applies by itself, and which stop the table's run. The one place these rules live; both
 * warehouses apply the outcome (`Warehouse.evolveSchema`), each dialect saying only whether it can
 * alter a column's type in place (`SqlDialect.canAlterType`).
 *
 * The rules compare Arrow types (what the extraction wrote), not warehouse types: both warehouses
 * derive their types from the Arrow type, so one rule serves both, and a change is judged the same
 * whichever warehouse is behind floe.
 */

/** A column as a manifest lists it. */
export interface KnownColumn extends ColumnType {
  readonly name: string;
}

/** A change floe will not apply, because values could be lost or changed. */
export interface IncompatibleChange {
  readonly column: string;
  readonly from: ColumnType;
  readonly to: ColumnType;
  readonly reason: string;
}

export interface SchemaComparison {
  /** What floe applies (in column order: the run's columns, then the dropped ones). */
  readonly changes: SchemaChange[];
  /** What floe refuses; when not empty, nothing of the run may land. */
  readonly incompatible: IncompatibleChange[];
}

/** Arrow spellings that store the same values (64-bit offsets only). */
const SAME_VALUES: Readonly<Record<string, string>> = { large_string: 'string', utf8: 'string', large_utf8: 'string', large_binary: 'binary', float: 'float32', double: 'float64', halffloat: 'float16', date32: 'date32[day]' };

const INTEGER = /^(u?)int(8|16|32|64)$/;
const DECIMAL = /^decimal(?:128|256)\((\d+),\s*(\d+)\)$/;
const TEMPORAL = /^(timestamp|time(?:32|64))\[(s|ms|us|ns)(?:,\s*(?:tz=)?([^\]]+))?\]$/;
const UNIT_DIGITS: Readonly<Record<string, number>> = { s: 0, ms: 3, us: 6, ns: 9 };
/** Exact numerics floe's warehouses hold as numbers (DuckDB DECIMAL and Snowflake NUMBER stop at 38 digits). */
const MAX_DECIMAL_PRECISION = 38;

const normal = (arrowType: string): string => {
  const type = arrowType.trim().replaceAll(/\s+/g, ' ');
  return SAME_VALUES[type] ?? type;
};

/** An exact number as integer digits and fraction digits, or null. Integers are decimals of scale 0. */
function exactNumber(type: string): { whole: number; scale: number; signed: boolean } | null {
  const integer = INTEGER.exec(type);
  if (integer) {
    const bits = Number(integer[2]);
    const unsigned = integer[1] === 'u';
    const max = unsigned ? 2n ** BigInt(bits) - 1n : 2n ** BigInt(bits - 1) - 1n;
    return { whole: max.toString().length, scale: 0, signed: !unsigned };
  }
  const decimal = DECIMAL.exec(type);
  if (decimal) {
    const precision = Number(decimal[1]);
    const scale = Number(decimal[2]);
    return { whole: precision - scale, scale, signed: true };
  }
  return null;
}

/**
 * Why `to` cannot hold every value of `from` exactly, or null when it can (a widening).
 * Only the widenings users meet are accepted: integers to wider integers or decimals, decimals to
 * more digits on either side of the point (up to 38), float → double, and timestamps or times to a
 * finer unit with the same time zone. Anything else (text → integer, precision narrowed, scale
 * lowered, a time zone gained or lost, …) is refused.
 *
 * @example wideningRefusal('int32', 'int64') === null
 * @example wideningRefusal('decimal128(12, 2)', 'decimal128(10, 2)') // 'it narrows …'
 */
export function wideningRefusal(fromArrow: string, toArrow: string): string | null {
  const from = normal(fromArrow);
  const to = normal(toArrow);
  if (from === to) return null;

  // Arrays (lists) widen element by element, at the same depth: int[] → bigint[].
  const fromList = arrowListOf(from);
  const toList = arrowListOf(to);
  if (fromList !== null && toList !== null && fromList.depth === toList.depth) {
    const refusal = wideningRefusal(fromList.element, toList.element);
    return refusal === null ? null : `its elements change: ${refusal}`;
  }

  const fromNumber = exactNumber(from);
  const toNumber = exactNumber(to);
  if (fromNumber && toNumber) {
    if (DECIMAL.test(to) && toNumber.whole + toNumber.scale > MAX_DECIMAL_PRECISION) {
      return `${to} has more than ${MAX_DECIMAL_PRECISION} digits, which floe's warehouses do not hold as numbers`;
    }
    if (fromNumber.signed && !toNumber.signed) return 'an unsigned type cannot hold negative values';
    // A uint64's 20 digits fit a NUMBER(20,0) but not an int64's 19; digits decide, sign aside.
    if (toNumber.whole < fromNumber.whole) return `it narrows the digits before the point from ${fromNumber.whole} to ${toNumber.whole}`;
    if (toNumber.scale < fromNumber.scale) return `it lowers the scale from ${fromNumber.scale} to ${toNumber.scale}, so fractions would be rounded`;
    return null;
  }

  if (from === 'float16' && (to === 'float32' || to === 'float64')) return null;
  if (from === 'float32' && to === 'float64') return null;

  const fromTime = TEMPORAL.exec(from);
  const toTime = TEMPORAL.exec(to);
  if (fromTime && toTime && (fromTime[1] === 'timestamp') === (toTime[1] === 'timestamp')) {
    if ((fromTime[3] === undefined) !== (toTime[3] === undefined)) return 'it gains or loses a time zone, which changes what the values mean';
    if ((UNIT_DIGITS[toTime[2] ?? 'us'] ?? 6) < (UNIT_DIGITS[fromTime[2] ?? 'us'] ?? 6)) return 'it keeps fewer fraction digits, so values would be rounded';
    return null;
  }
  return `floe does not convert ${from} to ${to}`;
}

/**
 * Compares a run's columns with the table's last known columns (names matched exactly, as the
 * warehouses' quoting keeps them).
 *
 * Guarantees: every column of either list appears at most once in the result; `incompatible` is
 * filled, never thrown, so the caller decides how to report it.
 */
export function compareSchemas(known: readonly KnownColumn[], next: readonly KnownColumn[]): SchemaComparison {
  const before = new Map(known.map((column) => [column.name, column]));
  const names = new Set(next.map((column) => column.name));
  const changes: SchemaChange[] = [];
  const incompatible: IncompatibleChange[] = [];
  const typeOf = (column: KnownColumn): ColumnType => ({ sourceType: column.sourceType, arrowType: column.arrowType });

  for (const column of next) {
    const old = before.get(column.name);
    if (old === undefined) {
      changes.push({ column: column.name, change: 'added', to: typeOf(column) });
      continue;
    }
    if (arrayTextToList(old, column)) {
      // What the warehouse holds decides (schema-ddl.ts): text already loaded is never converted, nor mixed with lists.
      changes.push({ column: column.name, change: 'retyped', from: typeOf(old), to: typeOf(column) });
    } else if (normal(old.arrowType) !== normal(column.arrowType)) {
      const reason = wideningRefusal(old.arrowType, column.arrowType);
      if (reason === null) changes.push({ column: column.name, change: 'widened', from: typeOf(old), to: typeOf(column) });
      else incompatible.push({ column: column.name, from: typeOf(old), to: typeOf(column), reason });
    } else if (old.sourceType !== column.sourceType || old.arrowType !== column.arrowType) {
      changes.push({ column: column.name, change: 'retyped', from: typeOf(old), to: typeOf(column) });
    }
  }
  for (const column of known) {
    if (!names.has(column.name)) changes.push({ column: column.name, change: 'dropped', from: typeOf(column) });
  }
  return { changes, incompatible };
}

/**
 * A column that landed as text and now lands as a list: a PostgreSQL array loaded as its array text
 * before floe landed arrays as lists (or a text column the source turned into an array). The
 * manifests alone cannot judge it: the warehouse table decides (schema-ddl.ts, arrayTextRefusal).
 */
export function arrayTextToList(from: { readonly arrowType: string }, to: { readonly arrowType: string }): boolean {
  return normal(from.arrowType) === 'string' && arrowListOf(to.arrowType) !== null;
}

/**
 * A schema change floe will not apply: the table's run stops before anything lands. Not retryable:
 * the same source schema fails the same way until a person acts.
 */
export class SchemaChangeError extends WarehouseError {
  override readonly name: string = 'SchemaChangeError';

  constructor(message: string) {
    super(message, { retryable: false });
  }
}

/** The message for refused changes: table, each column with its old and new type and why, and what to do. */
export function incompatibleChangeMessage(table: string, source: string, runId: string, refused: readonly IncompatibleChange[]): string {
  const columns = refused
    .map((change) => `column ${change.column} changed from ${change.from.sourceType} (${change.from.arrowType}) to ${change.to.sourceType} (${change.to.arrowType}): ${change.reason}`)
    .join('; ');
  return (
    `Table ${table} of source ${source} (run ${runId}): ${columns}. Nothing of this run was loaded and the watermark stays. ` +
    'Change the column back at the source, or migrate the warehouse column by hand (or drop raw and staging and reload in full mode), then run again.'
  );
}
