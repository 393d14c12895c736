import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** A table a model reads, lowercased: DuckDB and Snowflake's unquoted names match case-insensitively. */
export interface TableReference {
  readonly schema: 'raw' | 'staging' | 'gold';
  readonly name: string;
}

/** One gold model: `sql/gold/<name>.sql`, a plain SELECT. */
export interface GoldModel {
  /** The file name without `.sql`; the table is `gold."<name>"`. */
  readonly name: string;
  readonly file: string;
  /** The SELECT, trailing semicolons removed. */
  readonly select: string;
  readonly references: readonly TableReference[];
}

const REFERENCE =
  /(?<![\p{L}\p{N}_$."])(?:"(raw|staging|gold)"|\b(raw|staging|gold)\b)\s*\.\s*("(?:[^"]|"")+"|[\p{L}_][\p{L}\p{N}_$]*)/giu;

/**
 * Removes comments and string literals, so `'gold.x'` in a string is not read as a dependency.
 * Quoted names are kept whole, read from left to right like the SQL: a `'` or `--` inside
 * `"…"` is part of the name, not the start of a string or a comment.
 */
function withoutCommentsAndStrings(sql: string): string {
  return sql.replaceAll(/("(?:[^"]|"")*")|--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'/g, (_match, quoted: string | undefined) => quoted ?? ' ');
}

/**
 * The `raw.x`, `staging.x` and `gold.x` tables a SELECT reads, quoted or not,
 * in any case, without duplicates.
 *
 * @example findTableReferences('select * from STAGING."Shop__Orders" join gold.customers using (id)')
 * // [{ schema: 'staging', name: 'shop__orders' }, { schema: 'gold', name: 'customers' }]
 */
export function findTableReferences(sql: string): TableReference[] {
  const found = new Map<string, TableReference>();
  for (const match of withoutCommentsAndStrings(sql).matchAll(REFERENCE)) {
    const schema = (match[1] ?? match[2] ?? '').toLowerCase() as TableReference['schema'];
    const raw = match[3] ?? '';
    const name = (raw.startsWith('"') ? raw.slice(1, -1).replaceAll('""', '"') : raw).toLowerCase();
    found.set(`${schema}.${name}`, { schema, name });
  }
  return [...found.values()];
}

/** Reads every `*.sql` file of a folder as a gold model, sorted by name. A missing folder has no models. */
export async function readGoldModels(goldDir: string): Promise<GoldModel[]> {
  let entries: string[];
  try {
    entries = await readdir(goldDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files = entries.filter((entry) => entry.endsWith('.sql')).sort();
  return Promise.all(
    files.map(async (entry) => {
      const file = join(goldDir, entry);
      const select = (await readFile(file, 'utf8')).trim().replace(/;+\s*$/, '').trimEnd();
      return { name: basename(entry, '.sql'), file, select, references: findTableReferences(select) };
    }),
  );
}
