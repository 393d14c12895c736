import type { GoldModel } from './gold-models.js';
import { WarehouseError } from './warehouse-error.js';

const goldDependencies = (model: GoldModel, known: ReadonlyMap<string, GoldModel>): string[] =>
  model.references.filter((ref) => ref.schema === 'gold' && known.has(ref.name)).map((ref) => ref.name);

/**
 * Orders models so each comes after the gold models it reads (ties by name).
 * Throws a non-retryable WarehouseError naming the models in a cycle.
 */
export function orderGoldModels(models: readonly GoldModel[]): GoldModel[] {
  const byName = new Map(models.map((model) => [model.name.toLowerCase(), model]));
  const pending = new Map([...byName].map(([name, model]) => [name, new Set(goldDependencies(model, byName))]));
  const ordered: GoldModel[] = [];
  while (pending.size > 0) {
    const ready = [...pending].filter(([, deps]) => deps.size === 0).map(([name]) => name).sort();
    if (ready.length === 0) {
      const stuck = [...pending.keys()].map((name) => byName.get(name)?.name ?? name).sort();
      throw new WarehouseError(`Gold models form a dependency cycle: ${stuck.join(', ')}; remove the circular reference between their SELECTs.`);
    }
    for (const name of ready) {
      pending.delete(name);
      const model = byName.get(name);
      if (model !== undefined) ordered.push(model);
      for (const deps of pending.values()) deps.delete(name);
    }
  }
  return ordered;
}

/**
 * The models to rebuild when the given tables changed: those reading them, and, transitively, the
 * gold models reading those. Tables are `raw.name` or `staging.name` (no schema means staging);
 * names compare case-insensitively, quotes accepted.
 */
export function modelsAffectedBy(models: readonly GoldModel[], changedTables: readonly string[]): Set<string> {
  const changed = new Set(changedTables.map(tableKeyOf));
  const byName = new Map(models.map((model) => [model.name.toLowerCase(), model]));
  const affected = new Set<string>();
  for (const model of orderGoldModels(models)) {
    const key = model.name.toLowerCase();
    const readsChanged = model.references.some((ref) => ref.schema !== 'gold' && changed.has(`${ref.schema}.${ref.name}`));
    const readsAffected = goldDependencies(model, byName).some((dep) => affected.has(dep));
    if (readsChanged || readsAffected) affected.add(key);
  }
  return affected;
}

function tableKeyOf(table: string): string {
  const match = /^"?(raw|staging)"?\.(.*)$/i.exec(table);
  const schema = match?.[1]?.toLowerCase() ?? 'staging';
  const name = (match?.[2] ?? table).replace(/^"(.*)"$/, '$1').replaceAll('""', '"');
  return `${schema}.${name.toLowerCase()}`;
}
