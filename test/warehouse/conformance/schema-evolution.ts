import type { SchemaChange } from '../../../events/schema-change.js';
import { rawTableFor, stagingTableFor } from '../../../warehouse/naming.js';
import { compareSchemas, SchemaChangeError } from '../../../warehouse/schema-evolution.js';
import { describeTable, type ManifestLike } from '../../../warehouse/table-description.js';
import type { FixtureColumn } from '../../fixtures/warehouse/parquet-run.js';
import { readRows } from './rows.js';
import type { WarehouseFactory, WarehouseUnderTest } from './warehouse-factory.js';

const T1 = '2025-11-05T12:00:00+00:00';
const T2 = '2025-11-05T13:00:00+00:00';

const ID: FixtureColumn = { name: 'id', arrowType: 'int64', sourceType: 'bigint' };
const AT: FixtureColumn = { name: 'updated_at', arrowType: 'timestamp[us, tz=UTC]', sourceType: 'timestamp with time zone' };

/** A column's type as information_schema gives it: DuckDB's name, or Snowflake's NUMBER(p,s)/TEXT/…. */
async function columnType(under: WarehouseUnderTest, layer: 'raw' | 'staging', column: string): Promise<string> {
  const table = (layer === 'raw' ? rawTableFor : stagingTableFor)('shop', 'orders');
  const snowflake = under.dialect.name === 'snowflake';
  const fold = (name: string): string => (snowflake ? name.toUpperCase() : name);
  const [row] = await under.warehouse.query(
    'select data_type as "t", numeric_precision as "p", numeric_scale as "s" from information_schema.columns where table_schema = $1 and table_name = $2 and column_name = $3',
    [fold(table.schema), fold(table.name), fold(column)],
  );
  const type = String(row?.['t']).toUpperCase();
  return snowflake && type === 'NUMBER' ? `NUMBER(${String(row?.['p'])},${String(row?.['s'])})` : type;
}

/** How each warehouse spells the same stored type. */
const spelled = (under: WarehouseUnderTest, duckdb: string, snowflake: string): string => (under.dialect.name === 'duckdb' ? duckdb : snowflake);

/** Schema evolution every warehouse applies alike (changes computed by schema-evolution.ts, as load-and-merge does). */
export function describeSchemaEvolution(name: string, fresh: WarehouseFactory): void {
  describe(`Warehouse: schema evolution (${name})`, () => {
    let under: WarehouseUnderTest;

    beforeEach(async () => {
      under = await fresh();
    });

    afterEach(async () => {
      await under.close();
    });

    /** As load-and-merge: compare with the last manifest, evolve, load, merge. */
    const evolveAndLoad = async (previous: ManifestLike | null, manifest: ManifestLike): Promise<SchemaChange[]> => {
      const description = describeTable(manifest);
      const { changes, incompatible } = compareSchemas(previous?.columns ?? [], manifest.columns);
      expect(incompatible).toEqual([]);
      if (previous !== null) await under.warehouse.evolveSchema(description, changes, manifest.runId);
      await under.warehouse.loadRaw(description, manifest, under.rawRoot);
      await under.warehouse.mergeStaging(description, manifest.runId);
      return previous === null ? [] : changes;
    };

    it('widens int to bigint and numeric(10,2) to numeric(14,2) in raw and staging, keeping every value', async () => {
      // Prepare
      const before = [ID, { name: 'qty', arrowType: 'int32', sourceType: 'integer' }, { name: 'price', arrowType: 'decimal128(10, 2)', sourceType: 'numeric(10,2)' }, AT];
      const after = [ID, { name: 'qty', arrowType: 'int64', sourceType: 'bigint' }, { name: 'price', arrowType: 'decimal128(14, 2)', sourceType: 'numeric(14,2)' }, AT];
      const first = await under.writeRun({
        runId: 'r1', startedAt: T1, columns: before,
        files: [`select 1::bigint as id, 7::integer as qty, 12345678.25::decimal(10,2) as price, timestamptz '${T1}' as updated_at`],
      });
      const second = await under.writeRun({
        runId: 'r2', startedAt: T2, columns: after,
        files: [`select 2::bigint as id, 5000000000::bigint as qty, 123456789012.75::decimal(14,2) as price, timestamptz '${T2}' as updated_at`],
      });
      await evolveAndLoad(null, first);

      // Act
      const changes = await evolveAndLoad(first, second);

      // Assess
      expect(changes.map((change) => [change.column, change.change])).toEqual([['qty', 'widened'], ['price', 'widened']]);
      for (const layer of ['raw', 'staging'] as const) {
        expect(await columnType(under, layer, 'qty')).toBe(spelled(under, 'BIGINT', 'NUMBER(19,0)'));
        expect(await columnType(under, layer, 'price')).toBe(spelled(under, 'DECIMAL(14,2)', 'NUMBER(14,2)'));
        expect(await readRows(under, layer, ['id', 'qty', 'price'], { asText: ['price'] })).toEqual([
          { id: 1, qty: 7, price: '12345678.25' },
          { id: 2, qty: 5000000000, price: '123456789012.75' },
        ]);
      }
    });

    it('keeps a dropped column, NULL in rows updated after the drop, and adds a new one NULL in older rows', async () => {
      // Prepare: `note` is renamed `remark` at the source: a drop and an add
      const before = [ID, { name: 'note', arrowType: 'string', sourceType: 'text' }, AT];
      const after = [ID, { name: 'remark', arrowType: 'string', sourceType: 'text' }, AT];
      const first = await under.writeRun({
        runId: 'r1', startedAt: T1, columns: before,
        files: [`select 1::bigint as id, 'one' as note, timestamptz '${T1}' as updated_at union all select 2, 'two', timestamptz '${T1}'`],
      });
      const second = await under.writeRun({
        runId: 'r2', startedAt: T2, columns: after,
        files: [`select 2::bigint as id, 'two again' as remark, timestamptz '${T2}' as updated_at union all select 3, 'three', timestamptz '${T2}'`],
      });
      await evolveAndLoad(null, first);

      // Act
      const changes = await evolveAndLoad(first, second);

      // Assess
      expect(changes.map((change) => [change.column, change.change])).toEqual([['remark', 'added'], ['note', 'dropped']]);
      expect(await readRows(under, 'staging', ['id', 'note', 'remark'])).toEqual([
        { id: 1, note: 'one', remark: null },
        { id: 2, note: null, remark: 'two again' },
        { id: 3, note: null, remark: 'three' },
      ]);
    });

    it('changes nothing when the same widening is applied twice (a run killed after its DDL)', async () => {
      // Prepare
      const before = [ID, { name: 'qty', arrowType: 'int16', sourceType: 'smallint' }, AT];
      const after = [ID, { name: 'qty', arrowType: 'int32', sourceType: 'integer' }, AT];
      const first = await under.writeRun({ runId: 'r1', startedAt: T1, columns: before, files: [`select 1::bigint as id, 7::smallint as qty, timestamptz '${T1}' as updated_at`] });
      const second = await under.writeRun({ runId: 'r2', startedAt: T2, columns: after, files: [`select 2::bigint as id, 70000::integer as qty, timestamptz '${T2}' as updated_at`] });
      await evolveAndLoad(null, first);
      const { changes } = compareSchemas(first.columns, second.columns);
      await under.warehouse.evolveSchema(describeTable(second), changes, 'r2');

      // Act
      await evolveAndLoad(first, second);

      // Assess
      expect(await columnType(under, 'staging', 'qty')).toBe(spelled(under, 'INTEGER', 'NUMBER(10,0)'));
      expect(await readRows(under, 'staging', ['id', 'qty'])).toEqual([{ id: 1, qty: 7 }, { id: 2, qty: 70000 }]);
    });

    it('raises a numeric scale in place on DuckDB; Snowflake cannot, so the run stops with nothing altered', async () => {
      // Prepare
      const before = [ID, { name: 'price', arrowType: 'decimal128(10, 2)', sourceType: 'numeric(10,2)' }, AT];
      const after = [ID, { name: 'price', arrowType: 'decimal128(12, 4)', sourceType: 'numeric(12,4)' }, AT];
      const first = await under.writeRun({ runId: 'r1', startedAt: T1, columns: before, files: [`select 1::bigint as id, 1.25::decimal(10,2) as price, timestamptz '${T1}' as updated_at`] });
      const second = await under.writeRun({ runId: 'r2', startedAt: T2, columns: after, files: [`select 2::bigint as id, 2.1234::decimal(12,4) as price, timestamptz '${T2}' as updated_at`] });
      await evolveAndLoad(null, first);
      const { changes } = compareSchemas(first.columns, second.columns);

      // Act
      const act = under.warehouse.evolveSchema(describeTable(second), changes, 'r2');

      // Assess
      if (under.dialect.name === 'snowflake') {
        await expect(act).rejects.toThrow(SchemaChangeError);
        await expect(act).rejects.toThrow('column price widened from numeric(10,2) to numeric(12,4), but snowflake cannot alter');
        expect(await columnType(under, 'raw', 'price')).toBe('NUMBER(10,2)');
        expect(await columnType(under, 'staging', 'price')).toBe('NUMBER(10,2)');
      } else {
        await act;
        await under.warehouse.loadRaw(describeTable(second), second, under.rawRoot);
        await under.warehouse.mergeStaging(describeTable(second), 'r2');
        expect(await columnType(under, 'staging', 'price')).toBe('DECIMAL(12,4)');
        expect(await readRows(under, 'staging', ['id', 'price'], { asText: ['price'] })).toEqual([{ id: 1, price: '1.2500' }, { id: 2, price: '2.1234' }]);
      }
    });
  });
}
