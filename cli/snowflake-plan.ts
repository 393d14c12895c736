import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, parseSnowflakeWarehouseUrl, toTableConfigs, type FloeConfig, type TableConfig } from '../config/index.js';
import { parseManifest, type Manifest } from '../events/index.js';
import { snowflakeAccountDdl, type DdlStatement } from '../warehouse/snowflake-ddl.js';
import { describeTable, type TableDescription } from '../warehouse/table-description.js';

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

/** The table as configured (key, incremental column, mode are the config's) with the columns its newest run extracted. */
function describeConfigured(table: TableConfig, manifest: Manifest): TableDescription {
  return describeTable({
    ...manifest,
    primaryKey: table.primaryKey,
    incrementalColumn: table.incrementalColumn ?? null,
    mode: table.mode,
  });
}

/** The account DDL for a config, and the configured tables left out because no run has landed yet. */
export function snowflakeDdlFor(config: FloeConfig, manifests: readonly Manifest[], rawUrl?: string): { statements: DdlStatement[]; waiting: string[] } {
  const url = parseSnowflakeWarehouseUrl(config.warehouse);
  if (url === null) throw new ConfigError(`warehouse is ${config.warehouse.split(':')[0] ?? ''}://…; floe snowflake needs warehouse: snowflake://<account>/<database>`);
  const stageUrl = rawUrl ?? config.raw;
  if (!/^(s3|file):\/\//.test(stageUrl)) throw new ConfigError(`raw is a local folder; Snowflake reads raw from S3: set raw: s3://bucket/prefix (or pass --raw-url)`);
  const settings = config.snowflake;
  const latest = latestManifests(manifests);
  const descriptions: TableDescription[] = [];
  const waiting: string[] = [];
  for (const table of toTableConfigs(config)) {
    const manifest = latest.get(`${table.source}/${table.table}`);
    if (manifest === undefined) waiting.push(`${table.source}/${table.table}`);
    else descriptions.push(describeConfigured(table, manifest));
  }
  const statements = snowflakeAccountDdl(
    {
      database: url.database,
      rawUrl: stageUrl,
      ...(settings?.storageRoleArn === undefined ? {} : { storageIntegration: { name: settings.storageIntegration, roleArn: settings.storageRoleArn } }),
      ...(settings?.apiRoleArn === undefined || settings.ingestUrl === undefined
        ? {}
        : { ingest: { apiIntegration: settings.apiIntegration, roleArn: settings.apiRoleArn, url: settings.ingestUrl } }),
    },
    descriptions,
  );
  return { statements, waiting };
}
