import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, parseSnowflakeWarehouseUrl, toTableConfigs, type FloeConfig, type TableConfig } from '../config/index.js';
import { parseManifest, type Manifest } from '../events/index.js';
import { extractionMode } from '../pipeline/job-arguments.js';
import { snowflakeAccountDdl, type DdlStatement, type SnowflakeAccountSettings } from '../warehouse/snowflake-ddl.js';
import { describeTable, type ManifestLike, type TableDescription } from '../warehouse/table-description.js';

/** The newest manifest per `source/table`, by the time the run started. */
export function latestManifests(manifests: readonly Manifest[]): Map<string, Manifest> {
  const latest = new Map<string, Manifest>();
  for (const manifest of manifests) {
    const key = `${manifest.database}/${manifest.table}`;
    const current = latest.get(key);
    if (current === undefined || Date.parse(manifest.startedAt) > Date.parse(current.startedAt)) latest.set(key, manifest);
  }
  return latest;
}

/** Reads manifest files, and every manifest under a local raw root's `_manifests/` folder. */
export async function readManifests(files: readonly string[], localRawRoot: string | undefined): Promise<Manifest[]> {
  const paths = [...files];
  if (localRawRoot !== undefined) {
    const folder = join(localRawRoot, '_manifests');
    const entries = await readdir(folder).catch(() => [] as string[]);
    paths.push(...entries.filter((entry) => entry.endsWith('.json')).map((entry) => join(folder, entry)));
  }
  return Promise.all(paths.map(async (path) => parseManifest(JSON.parse(await readFile(path, 'utf8')) as unknown, path)));
}

/**
 * The table as configured (key, incremental column, mode are the config's) with the given columns.
 * An `append` table is described as its runs' manifests describe it: incremental, without a key.
 */
function describeConfigured(table: TableConfig, columns: ManifestLike['columns'], runId: string): TableDescription {
  return describeTable({
    runId,
    database: table.source,
    table: table.table,
    mode: extractionMode(table.mode),
    primaryKey: table.primaryKey,
    incrementalColumn: table.incrementalColumn ?? null,
    columns,
    files: [],
    totalRows: 0,
    startedAt: new Date(0).toISOString(),
  });
}

/** Reads a table's columns from its source's catalog (cli/snowflake-catalog.ts). */
export type CatalogReader = (table: TableConfig) => Promise<ManifestLike['columns']>;

/** The configured tables with no manifest yet, whose columns must come from the source's catalog. */
export function tablesWithoutManifest(config: FloeConfig, manifests: readonly Manifest[]): TableConfig[] {
  const latest = latestManifests(manifests);
  return toTableConfigs(config).filter((table) => !latest.has(`${table.source}/${table.table}`));
}

/** The account settings of a `snowflake://` config: database, roles, integrations, the stage on an `s3://` raw root. */
export function accountSettingsFor(config: FloeConfig, rawUrl?: string): SnowflakeAccountSettings {
  const url = parseSnowflakeWarehouseUrl(config.warehouse);
  if (url === null) throw new ConfigError(`warehouse is ${config.warehouse.split(':')[0] ?? ''}://…; floe snowflake needs warehouse: snowflake://<account>/<database>`);
  const stageUrl = rawUrl ?? (/^(s3|file):\/\//.test(config.raw) ? config.raw : undefined);
  const settings = config.snowflake;
  return {
    database: url.database,
    ...(url.role === undefined ? {} : { role: url.role }),
    ...(settings?.adminRole === undefined ? {} : { adminRole: settings.adminRole }),
    ...(stageUrl === undefined ? {} : { rawUrl: stageUrl }),
    ...(settings?.storageRoleArn === undefined || stageUrl === undefined ? {} : { storageIntegration: { name: settings.storageIntegration, roleArn: settings.storageRoleArn } }),
    ...(settings?.apiRoleArn === undefined || settings.ingestUrl === undefined
      ? {}
      : { ingest: { apiIntegration: settings.apiIntegration, roleArn: settings.apiRoleArn, url: settings.ingestUrl } }),
  };
}

/**
 * The account DDL for a config: every configured table's raw and staging tables and procedure, and
 * the dispatcher with a branch per table. Columns come from the table's newest manifest, or, for a
 * table never extracted, from its source's catalog (`readCatalog`), typed as the job will type them.
 * A local raw folder needs no external stage: `floe run` PUTs its files into an internal one.
 */
export async function snowflakeDdlFor(config: FloeConfig, manifests: readonly Manifest[], readCatalog: CatalogReader, rawUrl?: string): Promise<DdlStatement[]> {
  const settings = accountSettingsFor(config, rawUrl);
  const latest = latestManifests(manifests);
  const descriptions: TableDescription[] = [];
  for (const table of toTableConfigs(config)) {
    const manifest = latest.get(`${table.source}/${table.table}`);
    descriptions.push(manifest === undefined ? describeConfigured(table, await readCatalog(table), 'catalog') : describeConfigured(table, manifest.columns, manifest.runId));
  }
  return snowflakeAccountDdl(settings, descriptions);
}
