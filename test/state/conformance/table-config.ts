import type { TableConfig } from '../../../config/table-config.js';
import type { StoreFactory } from './store-factory.js';

const config = (source: string, table: string): TableConfig => ({
  source, table, engine: 'postgres', primaryKey: ['id'], mode: 'full', partitions: 1, lookbackSeconds: 0,
});

/** The table-config rules every state store keeps; `name` says which store runs them. */
export function describeTableConfig(name: string, freshStore: StoreFactory): void {
  describe(`State: table config (${name})`, () => {
    it("lists a source's tables by name, and none of another source's", async () => {
      // Prepare
      const store = await freshStore();
      await store.putTableConfigs([config('clr', 'clr.users'), config('shop', 'orders'), config('clr', 'clr.coupons')]);

      // Act
      const clr = await store.listTableConfigs('clr');
      const unknown = await store.listTableConfigs('nosuchsource');

      // Assess
      expect(clr.map((c) => c.table)).toEqual(['clr.coupons', 'clr.users']);
      expect(clr[0]).toEqual(config('clr', 'clr.coupons'));
      expect(unknown).toEqual([]);
    });

    it('replaces a table config pushed again, leaving the others', async () => {
      // Prepare
      const store = await freshStore();
      await store.putTableConfigs([config('clr', 'clr.users'), config('clr', 'clr.coupons')]);

      // Act
      await store.putTableConfigs([{ ...config('clr', 'clr.users'), mode: 'incremental', incrementalColumn: 'updated_at' }]);

      // Assess
      expect(await store.getTableConfig('clr', 'clr.users')).toMatchObject({ mode: 'incremental', incrementalColumn: 'updated_at' });
      expect((await store.listTableConfigs('clr')).map((c) => c.table)).toEqual(['clr.coupons', 'clr.users']);
    });
  });
}
