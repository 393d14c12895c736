import { performance } from 'node:perf_hooks';
import { readGoldModels, type GoldModel } from './gold-models.js';
import { modelsAffectedBy, orderGoldModels } from './gold-order.js';
import type { GoldModelResult } from './warehouse.js';
import { WarehouseError } from './warehouse-error.js';

/** What building gold needs from a warehouse; the order, skipping and failure rules are the same on every one. */
export interface GoldTarget {
  /** `raw.name` and `staging.name` of the tables that exist, lower case. */
  existingTables(): Promise<Set<string>>;
  /** Materialises one model as `gold.<name>`; throws the database's error when it fails. */
  build(model: GoldModel): Promise<void>;
}

/**
 * Builds `sql/gold/*.sql` in dependency order; with `changedTables`, only the models depending on
 * them. A model whose inputs have not landed, or whose gold dependency failed, is skipped with the
 * reason; one failing model does not stop the others.
 */
export async function buildGoldModels(goldDir: string, changedTables: readonly string[] | undefined, target: GoldTarget): Promise<GoldModelResult[]> {
  const models = orderGoldModels(
    await readGoldModels(goldDir).catch((error: unknown) => {
      throw new WarehouseError(`Reading the gold models in ${goldDir} failed; check the folder exists and is readable.`, { cause: error });
    }),
  );
  const selected = changedTables === undefined ? null : modelsAffectedBy(models, changedTables);
  const existing = await target.existingTables();
  const broken = new Map<string, string>();
  const results: GoldModelResult[] = [];
  for (const model of models) {
    const key = model.name.toLowerCase();
    if (selected !== null && !selected.has(key)) {
      results.push({ name: model.name, status: 'skipped', reason: 'not affected by the changed tables', seconds: 0 });
      continue;
    }
    // A model joining tables that have not all landed yet (a first run, table by table) waits for them.
    const missing = model.references.find((ref) => ref.schema !== 'gold' && !existing.has(`${ref.schema}.${ref.name}`));
    if (missing !== undefined) {
      broken.set(key, model.name);
      results.push({ name: model.name, status: 'skipped', reason: `waits for ${missing.schema}.${missing.name}, which has not landed yet`, seconds: 0 });
      continue;
    }
    const failedDependency = model.references.find((ref) => ref.schema === 'gold' && broken.has(ref.name));
    if (failedDependency !== undefined) {
      broken.set(key, broken.get(failedDependency.name) ?? failedDependency.name);
      results.push({ name: model.name, status: 'skipped', reason: `depends on gold.${failedDependency.name}, which was not built`, seconds: 0 });
      continue;
    }
    const started = performance.now();
    try {
      await target.build(model);
      results.push({ name: model.name, status: 'built', seconds: (performance.now() - started) / 1000 });
    } catch (error) {
      broken.set(key, model.name);
      const detail = error instanceof Error ? error.message : String(error);
      results.push({ name: model.name, status: 'failed', error: `${model.file}: ${detail}`, seconds: (performance.now() - started) / 1000 });
    }
  }
  return results;
}
