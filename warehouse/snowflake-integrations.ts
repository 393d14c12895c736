import { snowflakeIdentifier as q } from './snowflake-dialect.js';
import { asPrefix, type IngestSettings, type StorageIntegrationSettings } from './snowflake-ddl.js';
import { quoteSnowflakeString } from './snowflake-sql.js';

/**
 * An integration created `if not exists` keeps the values it was created with: a changed role ARN,
 * raw URL or request-ingest URL would never reach it. `floe snowflake apply` reads it with DESC
 * INTEGRATION and alters what differs, in place: ALTER keeps the integration's external id, which
 * the IAM role trusts; CREATE OR REPLACE would make a new one
 * (https://docs.snowflake.com/en/sql-reference/sql/alter-storage-integration,
 * https://docs.snowflake.com/en/sql-reference/sql/alter-api-integration,
 * https://docs.snowflake.com/en/sql-reference/sql/desc-integration).
 */

/** One row of DESC INTEGRATION: `property`, `property_type`, `property_value`, `property_default`. */
export type IntegrationProperty = Readonly<Record<string, unknown>>;

/** One difference between an integration and its configuration, for the message. */
export interface IntegrationChange {
  readonly property: string;
  readonly was: string;
  readonly wanted: string;
}

/** The statement bringing an existing integration to its configuration, and why; null when it already matches. */
export interface IntegrationAlteration {
  readonly sql: string;
  readonly changes: readonly IntegrationChange[];
}

function propertyValue(rows: readonly IntegrationProperty[], name: string): string {
  const row = rows.find((candidate) => String(candidate['property'] ?? '').toUpperCase() === name);
  return String(row?.['property_value'] ?? '');
}

/** DESC INTEGRATION prints a list as `a,b`; compared as a set, each entry trimmed. */
const listOf = (text: string): string[] => text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '').sort();

type Wanted = { readonly property: string; readonly value: string; readonly list: boolean; readonly clause: (value: string) => string };

function alteration(kind: 'storage' | 'api', name: string, rows: readonly IntegrationProperty[], wanted: readonly Wanted[]): IntegrationAlteration | null {
  const changes: IntegrationChange[] = [];
  const clauses: string[] = [];
  for (const want of wanted) {
    const was = propertyValue(rows, want.property);
    const same = want.list ? listOf(was).join(',') === listOf(want.value).join(',') : was.toLowerCase() === want.value.toLowerCase();
    if (same) continue;
    changes.push({ property: want.property, was, wanted: want.value });
    clauses.push(want.clause(want.value));
  }
  return changes.length === 0 ? null : { sql: `alter ${kind} integration ${q(name)} set ${clauses.join(' ')}`, changes };
}

/** What to alter in the storage integration so it reads the raw root through the configured role. */
export function storageIntegrationAlteration(integration: StorageIntegrationSettings, rawUrl: string, rows: readonly IntegrationProperty[]): IntegrationAlteration | null {
  return alteration('storage', integration.name, rows, [
    { property: 'STORAGE_AWS_ROLE_ARN', value: integration.roleArn, list: false, clause: (value) => `storage_aws_role_arn = ${quoteSnowflakeString(value)}` },
    { property: 'STORAGE_ALLOWED_LOCATIONS', value: asPrefix(rawUrl), list: true, clause: (value) => `storage_allowed_locations = (${quoteSnowflakeString(value)})` },
    { property: 'ENABLED', value: 'true', list: false, clause: () => 'enabled = true' },
  ]);
}

/** What to alter in the API integration so it reaches the configured request-ingest URL through the configured role. */
export function apiIntegrationAlteration(ingest: IngestSettings, rows: readonly IntegrationProperty[]): IntegrationAlteration | null {
  return alteration('api', ingest.apiIntegration, rows, [
    { property: 'API_AWS_ROLE_ARN', value: ingest.roleArn, list: false, clause: (value) => `api_aws_role_arn = ${quoteSnowflakeString(value)}` },
    { property: 'API_ALLOWED_PREFIXES', value: ingest.url, list: true, clause: (value) => `api_allowed_prefixes = (${quoteSnowflakeString(value)})` },
    { property: 'ENABLED', value: 'true', list: false, clause: () => 'enabled = true' },
  ]);
}
