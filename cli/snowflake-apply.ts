import type { SnowflakeSession } from '../warehouse/snowflake-connection.js';
import { snowflakeIdentifier as q, snowflakeStoredName } from '../warehouse/snowflake-dialect.js';
import type { DdlStatement, SnowflakeAccountSettings } from '../warehouse/snowflake-ddl.js';
import { wrapSnowflakeError } from '../warehouse/snowflake-error.js';
import { apiIntegrationAlteration, storageIntegrationAlteration, type IntegrationAlteration } from '../warehouse/snowflake-integrations.js';
import { heldPrivileges, missingPrivileges, requiredPrivileges, type AccountState, type HeldPrivileges } from '../warehouse/snowflake-privileges.js';
import { quoteSnowflakeString } from '../warehouse/snowflake-sql.js';
import { floeQueryTag } from '../warehouse/snowflake.js';

type Rows = readonly Record<string, unknown>[];

/** One integration apply manages: created when missing, else altered to the configuration. */
interface ManagedIntegration {
  readonly name: string;
  readonly create: string;
  readonly alteration: (rows: Rows) => IntegrationAlteration | null;
}

/** What apply does, or refuses to do: the statements it will run, and each missing privilege. */
export interface ApplyPlan {
  readonly statements: readonly DdlStatement[];
  readonly missing: readonly string[];
  /** For the log: each integration altered, and how. */
  readonly alterations: readonly string[];
}

/** Rows of a SHOW … LIKE whose `name` is exactly `name` as stored (LIKE ignores case, and `_` matches anything). */
const named = (rows: Rows, name: string): boolean => rows.some((row) => String(row['name'] ?? '') === snowflakeStoredName(name));

function managedIntegrations(settings: SnowflakeAccountSettings): ManagedIntegration[] {
  const managed: ManagedIntegration[] = [];
  const { storageIntegration: storage, rawUrl, ingest } = settings;
  if (storage !== undefined && rawUrl !== undefined) {
    managed.push({ name: storage.name, create: 'create storage integration', alteration: (rows) => storageIntegrationAlteration(storage, rawUrl, rows) });
  }
  if (ingest !== undefined) managed.push({ name: ingest.apiIntegration, create: 'create api integration', alteration: (rows) => apiIntegrationAlteration(ingest, rows) });
  return managed;
}

/**
 * Reads the account before changing it: whether the database, floe's schemas and the integrations
 * exist, how each integration differs from the configuration (DESC INTEGRATION), and what each role
 * holds (SHOW GRANTS TO ROLE, as that role). Then plans: the statements to run (an existing
 * integration's CREATE … IF NOT EXISTS replaced by the ALTER bringing it to the configuration, or
 * dropped when it matches), and the privileges missing for them (snowflake-privileges.ts).
 */
export async function planApply(session: SnowflakeSession, settings: SnowflakeAccountSettings, statements: readonly DdlStatement[], warehouse: string | undefined): Promise<ApplyPlan> {
  const run = async (sql: string): Promise<Rows> => (await session.run({ sql, params: [] }, floeQueryTag('apply'))).rows;
  const floeRole = settings.role ?? String((await run('select current_role() as "role"'))[0]?.['role'] ?? '');
  const adminRole = settings.adminRole ?? floeRole;
  const held = new Map<string, HeldPrivileges>();
  for (const role of new Set([adminRole, floeRole])) {
    await run(`use role ${q(role)}`);
    held.set(snowflakeStoredName(role), await heldPrivileges((name) => run(`show grants to role ${q(name)}`), role));
  }
  await run(`use role ${q(adminRole)}`);
  const databaseExists = named(await run(`show databases like ${quoteSnowflakeString(snowflakeStoredName(settings.database))}`), settings.database);
  const schemas = databaseExists ? new Set((await run(`show schemas in database ${q(settings.database)}`)).map((row) => String(row['name'] ?? ''))) : new Set<string>();
  const alterations = new Map<string, IntegrationAlteration | null>();
  const integrations: AccountState['integrations'][number][] = [];
  for (const integration of managedIntegrations(settings)) {
    const exists = named(await run(`show integrations like ${quoteSnowflakeString(snowflakeStoredName(integration.name))}`), integration.name);
    const alteration = exists ? integration.alteration(await run(`desc integration ${q(integration.name)}`)) : null;
    alterations.set(integration.name, alteration);
    integrations.push({ name: integration.name, exists, altered: alteration !== null });
  }
  await run(`use role ${q(floeRole)}`);
  const state: AccountState = { database: settings.database, databaseExists, schemas, integrations, ...(warehouse === undefined ? {} : { warehouse }) };
  const missing = missingPrivileges(requiredPrivileges(state, { floeRole, adminRole }), held);
  const planned = statements.flatMap((statement): DdlStatement[] => {
    const integration = managedIntegrations(settings).find((candidate) => statement.sql.startsWith(`${candidate.create} if not exists ${q(candidate.name)}`));
    if (integration === undefined || !alterations.has(integration.name) || !integrations.find((i) => i.name === integration.name)?.exists) return [statement];
    const alteration = alterations.get(integration.name) ?? null;
    return alteration === null ? [] : [{ purpose: `integration ${integration.name} to the configuration`, sql: alteration.sql, admin: true }];
  });
  const altered = [...alterations].flatMap(([name, alteration]) =>
    alteration === null ? [] : [`integration ${name}: ${alteration.changes.map((change) => `${change.property} ${change.was || '(unset)'} → ${change.wanted}`).join('; ')}`],
  );
  return { statements: planned, missing, alterations: altered };
}

/** Runs the plan, each statement as its role, saying what it does on `log`. */
export async function runApply(session: SnowflakeSession, settings: SnowflakeAccountSettings, plan: ApplyPlan, log: (line: string) => void): Promise<void> {
  const floeRole = settings.role;
  const adminRole = settings.adminRole ?? floeRole;
  let current: string | undefined;
  const as = async (role: string | undefined): Promise<void> => {
    if (role === undefined || role === current) return;
    await session.run({ sql: `use role ${q(role)}`, params: [] }, floeQueryTag('apply'));
    current = role;
  };
  for (const line of plan.alterations) log(line);
  try {
    for (const statement of plan.statements) {
      await as(statement.admin === true ? adminRole : floeRole);
      log(`-- ${statement.purpose}`);
      await session.run({ sql: statement.sql, params: [] }, floeQueryTag('apply')).catch((error: unknown) => {
        throw wrapSnowflakeError(`Applying "${statement.purpose}"`, error);
      });
    }
  } finally {
    await as(floeRole).catch(() => undefined);
  }
}
