import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import mysql from 'mysql2/promise';
import pg from 'pg';

import type { TableCheck } from '../../check/check-table.js';
import { checkCommand } from '../../cli/check.js';
import { loadConfig } from '../../config/index.js';
import { runLocally } from '../../runtime/local/run.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { snowflakeTypeForArrow } from '../../warehouse/snowflake-type.js';
import { MYSQL_URL, PG_URL, uniqueName } from '../faults/source-table.js';
import { captureOutput } from '../cli/helpers.js';
import { MYSQL_MATRIX, POSTGRES_MATRIX, type Comparison, type MatrixColumn } from './type-matrix.js';
import { pgArrayElements, type ArrayElements } from './pg-array-text.js';

/**
 * Every type of the matrix, source → Parquet → raw → staging on DuckDB through `floe run`: each
 * staged value is compared with the source server's own text for it, value by value, and each
 * staging column's DuckDB type with the documented one (docs/types.md). Once per extraction engine,
 * with the same expectations: the Python job, and the Spark job in local mode (its rows read in two
 * ranges of the key, over JDBC).
 */

const ROWS = [0, 1, 2, 3];
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENGINE_TITLES = { postgres: 'PostgreSQL', mysql: 'MySQL and MariaDB' } as const;
const TABLE = 'matrix';

/** DuckDB's text for a staged value, in the source's spelling where the two print one value differently. */
function stagedText(column: MatrixColumn): string {
  const c = `"${column.name}"`;
  if (column.elements === undefined) return valueText(column.comparison, c);
  // An array as JSON of its elements' texts, nested as deep as the LIST.
  const depth = column.duckDbType.split('[]').length - 1;
  const elements = (list: string, level: number): string =>
    `list_transform(${list}, lambda x${level}: ${level === depth ? valueText(column.elements ?? 'text', `x${level}`) : elements(`x${level}`, level + 1)})`;
  return `cast(to_json(${elements(c, 1)}) as varchar)`;
}

function valueText(comparison: Comparison, c: string): string {
  switch (comparison) {
    case 'boolean':
      return `case when ${c} is null then null when ${c} then 't' else 'f' end`;
    case 'bytes':
      return `lower(hex(${c}))`;
    case 'timestamp':
    case 'text':
    case 'float':
      return `cast(${c} as varchar)`;
  }
}

/** Source and staged text of one array, made comparable: its elements, each made comparable, as JSON. */
function comparableArray(column: MatrixColumn, side: 'source' | 'staged', text: string | null): string | null {
  if (text === null) return null;
  const nested: ArrayElements = side === 'source' ? pgArrayElements(text) : (JSON.parse(text) as ArrayElements);
  const each = (items: ArrayElements): unknown[] => items.map((item) => (Array.isArray(item) ? each(item) : comparable(column.elements ?? 'text', 'postgres', item)));
  return JSON.stringify(each(nested));
}

/** Source and staged text of one value, made comparable. */
function comparable(comparison: Comparison, engine: 'postgres' | 'mysql', text: string | null): string | null {
  if (text === null) return null;
  if (comparison === 'float') {
    const lower = text.toLowerCase();
    if (lower === 'nan') return 'NaN';
    if (lower === 'inf' || lower === 'infinity') return 'Infinity';
    if (lower === '-inf' || lower === '-infinity') return '-Infinity';
    // Both sides print the shortest text that reads back as the same float; compare the floats.
    return String(Number(text));
  }
  if (comparison === 'bytes' && engine === 'postgres') return text.replace(/^\\x/, '');
  if (comparison === 'timestamp') {
    // MySQL prints a declared fraction's zeros, DuckDB none; both sides are in UTC, DuckDB says so.
    const bare = text.replace(/\+00$/, '');
    return bare.includes('.') ? bare.replace(/\.?0+$/, '') : bare;
  }
  return text;
}

interface Engine {
  name: 'postgres' | 'mysql';
  matrix: readonly MatrixColumn[];
  url: string;
  schema: string;
  setUp(): Promise<void>;
  /** The source's own text for every value, by row then column. */
  sourceTexts(): Promise<Map<number, Record<string, string | null>>>;
  tearDown(): Promise<void>;
}

const insertSql = (table: string, matrix: readonly MatrixColumn[], quote: (name: string) => string): string => {
  const names = ['id', ...matrix.map((column) => column.name)].map(quote).join(', ');
  const rows = ROWS.map((row) => `(${[String(row), ...matrix.map((column) => (row === 0 ? 'null' : column.values[row - 1] ?? 'null'))].join(', ')})`);
  return `insert into ${table} (${names}) values ${rows.join(', ')}`;
};

function postgresEngine(): Engine {
  const schema = uniqueName('floe_type_matrix');
  const client = new pg.Client({ connectionString: PG_URL });
  const table = `"${schema}"."${TABLE}"`;
  return {
    name: 'postgres', matrix: POSTGRES_MATRIX, url: PG_URL, schema,
    async setUp() {
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade; create schema "${schema}"; set search_path to "${schema}"`);
      await client.query(`create type floe_matrix_mood as enum ('sad', 'ok', 'happy'); create domain floe_matrix_positive as integer check (value > 0)`);
      await client.query(`create table ${table} (id integer primary key, ${POSTGRES_MATRIX.map((c) => `"${c.name}" ${c.type}`).join(', ')})`);
      await client.query(insertSql(table, POSTGRES_MATRIX, (name) => `"${name}"`));
    },
    async sourceTexts() {
      // Every value as the server's output function prints it (what COPY writes), not parsed by the driver.
      await client.query("set timezone to 'UTC'");
      const result = await client.query({ text: `select * from ${table} order by id`, types: { getTypeParser: () => (value: string) => value } });
      return new Map(result.rows.map((row: Record<string, string | null>) => [Number(row['id']), row]));
    },
    async tearDown() {
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    },
  };
}

function mysqlEngine(): Engine {
  const database = uniqueName('floe_type_matrix');
  let connection: mysql.Connection;
  const table = `\`${database}\`.\`${TABLE}\``;
  return {
    name: 'mysql', matrix: MYSQL_MATRIX, url: `${MYSQL_URL}/${database}`, schema: database,
    async setUp() {
      connection = await mysql.createConnection({ uri: MYSQL_URL, charset: 'utf8mb4', timezone: 'Z' });
      await connection.query("set time_zone = '+00:00'");
      await connection.query(`drop database if exists \`${database}\``);
      await connection.query(`create database \`${database}\` character set utf8mb4`);
      await connection.query(`create table ${table} (id int primary key, ${MYSQL_MATRIX.map((c) => `\`${c.name}\` ${c.type}`).join(', ')}) character set utf8mb4`);
      await connection.query(insertSql(table, MYSQL_MATRIX, (name) => `\`${name}\``));
    },
    async sourceTexts() {
      // MySQL's text protocol gives each value as the server prints it; bytes as hex, so they compare as text.
      const columns = MYSQL_MATRIX.map((c) => (c.comparison === 'bytes' ? `lower(hex(cast(\`${c.name}\` as binary))) as \`${c.name}\`` : `cast(\`${c.name}\` as char) as \`${c.name}\``));
      const [rows] = await connection.query(`select id, ${columns.join(', ')} from ${table} order by id`);
      return new Map((rows as Record<string, string | null>[]).map((row) => [Number(row['id']), row]));
    },
    async tearDown() {
      await connection.query(`drop database if exists \`${database}\``);
      await connection.end();
    },
  };
}

const EXTRACTION_ENGINES = ['python', 'spark'] as const;
const RUNS = EXTRACTION_ENGINES.flatMap((extraction) => [postgresEngine(), mysqlEngine()].map((engine) => ({ ...engine, extraction })));

describe.each(RUNS)('The type matrix from $name on the $extraction engine', (engine) => {
  let folder: string;
  let staged: Map<number, Record<string, unknown>>;
  let stagedTypes: Map<string, string>;
  let failure: string | null | undefined;
  let arrowTypes: Map<string, string>;
  let configFile: string;
  let extractedBy: string;

  beforeAll(async () => {
    await engine.setUp();
    folder = await mkdtemp(join(tmpdir(), 'floe-type-matrix-'));
    configFile = join(folder, 'floe.config.yaml');
    await writeFile(configFile, [
      'gold: ./gold', 'sources:', '  - name: src', `    engine: ${engine.name}`, `    connection: ${engine.url}`, '    tables:',
      `      - name: ${engine.schema}.${TABLE}`, '        primaryKey: [id]', '        mode: full',
      ...(engine.extraction === 'spark' ? ['        engine: spark', '        partitionColumn: id', '        partitions: 2'] : []),
    ].join('\n'));
    const config = await loadConfig(configFile);
    failure = (await runLocally(config))[0]?.failure;
    const manifests = join(config.raw, '_manifests');
    const [manifestFile] = await readdir(manifests);
    const manifest = JSON.parse(await readFile(join(manifests, manifestFile ?? 'none'), 'utf8')) as { columns: { name: string; arrowType: string }[]; extractionEngine: string };
    extractedBy = manifest.extractionEngine;
    arrowTypes = new Map(manifest.columns.map((column) => [column.name, column.arrowType]));
    const warehouse = await DuckDbWarehouse.open(config.warehouse.slice('duckdb://'.length));
    try {
      const stagingTable = `src__${engine.schema}__${TABLE}`;
      await warehouse.query("set TimeZone = 'UTC'");
      stagedTypes = new Map((await warehouse.query(
        'select column_name, data_type from information_schema.columns where table_schema = $1 and table_name = $2', ['staging', stagingTable],
      )).map((row) => [String(row['column_name']), String(row['data_type'])]));
      const columns = engine.matrix.map((c) => `${stagedText(c)} as "${c.name}"`);
      const rows = await warehouse.query(`select id, ${columns.join(', ')} from staging."${stagingTable}" order by id`);
      staged = new Map(rows.map((row) => [Number(row['id']), row]));
    } finally {
      await warehouse.close();
    }
  }, 300_000);

  afterAll(async () => {
    await engine.tearDown();
    await rm(folder, { recursive: true, force: true });
  });

  it('loads every row', () => {
    // Assess
    expect(failure).toBeNull();
    expect(extractedBy).toBe(engine.extraction);
    expect([...staged.keys()]).toEqual(ROWS);
  });

  it.each(engine.matrix.map((column) => [column.name, column.type, column] as const))('stages %s (%s) as the source prints it', async (_name, _type, column) => {
    // Prepare
    const source = await engine.sourceTexts();

    // Act
    const sourceText = (row: number) => source.get(row)?.[column.name] ?? null;
    const stagedValue = (row: number) => (staged.get(row)?.[column.name] as string | null | undefined) ?? null;
    const pairs = ROWS.map((row) => ({
      row,
      source: column.elements ? comparableArray(column, 'source', sourceText(row)) : comparable(column.comparison, engine.name, sourceText(row)),
      staged: column.elements ? comparableArray(column, 'staged', stagedValue(row)) : comparable(column.comparison, engine.name, stagedValue(row)),
    }));

    // Assess
    expect(pairs.map(({ row, staged: value }) => ({ row, value }))).toEqual(pairs.map(({ row, source: value }) => ({ row, value })));
    expect(stagedTypes.get(column.name)).toBe(column.duckDbType);
  });

  it('is documented in docs/types.md: the Arrow, DuckDB and Snowflake type of every source type', async () => {
    // Prepare
    const doc = await readFile(join(REPO_ROOT, 'docs', 'types.md'), 'utf8');
    const section = doc.split(/^## /m).find((part) => part.startsWith(ENGINE_TITLES[engine.name])) ?? '';
    const documented = new Map(
      section.split('\n').filter((line) => line.startsWith('| `')).map((line) => {
        const cells = line.split(' | ').map((cell) => cell.replace(/^\|? ?`?|`? ?\|?$/g, ''));
        return [cells[0] ?? '', cells.slice(1, 4)] as const;
      }),
    );

    // Act
    const wanted = engine.matrix.map((column) => {
      const arrowType = arrowTypes.get(column.name) ?? '?';
      const snowflake = snowflakeTypeForArrow(arrowType, column.type);
      const snowflakeText = snowflake === null ? '?' : snowflake.raw === snowflake.staging ? snowflake.raw : `${snowflake.raw} → ${snowflake.staging}`;
      return { type: column.label ?? column.type, cells: [arrowType, stagedTypes.get(column.name) ?? '?', snowflakeText] };
    });

    // Assess
    expect(wanted.map(({ type }) => ({ type, cells: documented.get(type) ?? 'not documented' }))).toEqual(wanted);
  });

  it('checks in sync with floe check: every value renders alike at the source and in staging', async () => {
    // Act
    const { code, stdout } = await captureOutput(() => checkCommand(['--config', configFile, '--json']));

    // Assess
    expect(code).toBe(0);
    const [table] = JSON.parse(stdout) as TableCheck[];
    expect([table?.status, table?.drift?.sourceRows, table?.drift?.stagingRows]).toEqual(['in sync', ROWS.length, ROWS.length]);
  });
});
