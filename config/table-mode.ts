import { printable } from './printable.js';

/** The settings that decide how a table's runs reach staging, as written in the file. */
export interface TableModeSettings {
  readonly name: string;
  readonly mode?: 'full' | 'incremental' | 'append' | undefined;
  readonly primaryKey?: readonly string[] | undefined;
  readonly incrementalColumn?: string | undefined;
  readonly deletes?: string | undefined;
}

/** A contradiction between a table's mode, key and incremental column: where, and what to do. */
export interface ModeProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * The settings a table's mode cannot work with, refused before anything runs. Without a primary
 * key nothing can be MERGEd, so only `full` (staging replaced by every row read, duplicates kept)
 * and `append` (rows past the watermark added, for tables whose rows are only inserted) work;
 * `append` keeps every row, so a key would mean nothing to it.
 */
export function modeProblems(table: TableModeSettings): ModeProblem[] {
  const name = `table ${printable(table.name)}`;
  const keyless = table.primaryKey === undefined;
  const mode = table.mode ?? (table.incrementalColumn === undefined ? 'full' : 'incremental');
  const problems: ModeProblem[] = [];
  if (table.mode === 'append') {
    if (table.incrementalColumn === undefined) {
      problems.push({
        path: 'incrementalColumn',
        message: `${name}: mode append adds the rows past the watermark of incrementalColumn, and none is set; set incrementalColumn (a column the database stamps when a row is inserted), or use mode: full`,
      });
    }
    if (!keyless) {
      problems.push({
        path: 'primaryKey',
        message: `${name}: mode append keeps every row and merges none, so primaryKey would not be used; remove primaryKey, or use mode: incremental to keep one row per key`,
      });
    }
  } else if (keyless && mode === 'incremental') {
    problems.push({
      path: 'primaryKey',
      message:
        `${name}: incremental mode merges rows on primaryKey, and none is set; set primaryKey, or use mode: append ` +
        '(rows only ever inserted, such as a log: each run adds the new ones) or mode: full (each run replaces the table)',
    });
  }
  // A full-mode table's deletes are refused for that reason already (schema.ts).
  if (keyless && table.deletes !== undefined && mode !== 'full') {
    problems.push({
      path: 'deletes',
      message: `${name}: deletes compares the primary keys of the source and staging, and none is set; set primaryKey, or remove deletes (a full-mode run already drops rows gone from the source)`,
    });
  }
  return problems;
}
