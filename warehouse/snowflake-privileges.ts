import { snowflakeIdentifier as q, snowflakeStoredName } from './snowflake-dialect.js';
import { WAREHOUSE_SCHEMAS } from './naming.js';

/**
 * What `floe snowflake apply` needs each role to be allowed, checked before it changes anything,
 * so a missing privilege is named up front instead of stopping the apply half way. The rules, from
 * each statement's "Access control requirements":
 * - CREATE DATABASE on the account to create the database
 *   (https://docs.snowflake.com/en/sql-reference/sql/create-database#access-control-requirements);
 * - CREATE INTEGRATION on the account to create an integration, OWNERSHIP to alter one
 *   (https://docs.snowflake.com/en/sql-reference/sql/create-storage-integration#access-control-requirements,
 *   https://docs.snowflake.com/en/sql-reference/sql/alter-storage-integration#access-control-requirements);
 * - OWNERSHIP of an object (or MANAGE GRANTS on the account) to grant privileges on it
 *   (https://docs.snowflake.com/en/sql-reference/sql/grant-privilege#access-control-requirements);
 * - USAGE and CREATE SCHEMA on the database for floe's role to create its schemas, OWNERSHIP of a
 *   schema that exists to create and replace its objects
 *   (https://docs.snowflake.com/en/sql-reference/sql/create-schema#access-control-requirements);
 * - USAGE on the virtual warehouse to run anything (https://docs.snowflake.com/en/user-guide/security-access-control-privileges#virtual-warehouse-privileges).
 * ACCOUNTADMIN holds every account privilege. A role holds what it was granted and what the roles
 * granted to it hold (SHOW GRANTS TO ROLE lists both: https://docs.snowflake.com/en/sql-reference/sql/show-grants).
 */

/** One row of SHOW GRANTS TO ROLE, the columns floe reads: `privilege`, `granted_on`, `name`. */
export interface Grant {
  readonly privilege: string;
  readonly grantedOn: string;
  readonly name: string;
}

/** A role and everything it holds, its inherited roles included. */
export interface HeldPrivileges {
  readonly role: string;
  readonly roles: ReadonlySet<string>;
  readonly grants: readonly Grant[];
}

/** A privilege a role must hold for apply to go through, and what needs it. */
export interface Requirement {
  readonly role: string;
  readonly privilege: string;
  readonly on: 'ACCOUNT' | 'DATABASE' | 'SCHEMA' | 'INTEGRATION' | 'WAREHOUSE';
  /** The object's stored name (`DB`, `DB.RAW`, `FLOE_RAW`); empty for the account. */
  readonly name: string;
  readonly why: string;
}

/** What apply found in the account before changing anything. */
export interface AccountState {
  readonly database: string;
  readonly databaseExists: boolean;
  /** floe's schemas that exist (stored names: `RAW`, …). */
  readonly schemas: ReadonlySet<string>;
  /** The integrations apply creates or alters, and whether each exists. */
  readonly integrations: readonly { readonly name: string; readonly exists: boolean; readonly altered: boolean }[];
  readonly warehouse?: string;
}

const unquoted = (name: string): string => name.replaceAll('"', '');

/** The stored name of `name`, as SHOW GRANTS prints it. */
const stored = (name: string): string => snowflakeStoredName(name);

/** Reads SHOW GRANTS TO ROLE for a role and, through the roles granted to it, everything it inherits. */
export async function heldPrivileges(showGrants: (role: string) => Promise<readonly Record<string, unknown>[]>, role: string): Promise<HeldPrivileges> {
  const roles = new Set<string>();
  const grants: Grant[] = [];
  const pending = [stored(role)];
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (roles.has(next)) continue;
    roles.add(next);
    for (const row of await showGrants(next)) {
      const grant = { privilege: String(row['privilege'] ?? '').toUpperCase(), grantedOn: String(row['granted_on'] ?? '').toUpperCase(), name: unquoted(String(row['name'] ?? '')) };
      if (grant.grantedOn === 'ROLE' && grant.privilege === 'USAGE') pending.push(grant.name);
      else grants.push(grant);
    }
  }
  return { role: stored(role), roles, grants };
}

/** Whether `held` satisfies `requirement`: the privilege itself, OWNERSHIP of the object, or (account privileges and grants) ACCOUNTADMIN. */
export function holds(held: HeldPrivileges, requirement: Requirement): boolean {
  if (held.roles.has('ACCOUNTADMIN') && (requirement.on === 'ACCOUNT' || requirement.privilege === 'GRANT')) return true;
  return held.grants.some((grant) => {
    if (requirement.privilege === 'GRANT' && grant.grantedOn === 'ACCOUNT' && grant.privilege === 'MANAGE GRANTS') return true;
    if (grant.grantedOn !== requirement.on) return false;
    if (requirement.on !== 'ACCOUNT' && grant.name.toUpperCase() !== requirement.name.toUpperCase()) return false;
    return grant.privilege === 'OWNERSHIP' || grant.privilege === requirement.privilege;
  });
}

/**
 * The privileges apply needs, for its admin role (the database and integrations, and granting
 * floe's role what it needs) and floe's role (everything else). With one role, it needs both parts.
 */
export function requiredPrivileges(state: AccountState, roles: { readonly floeRole: string; readonly adminRole: string }): Requirement[] {
  const admin = stored(roles.adminRole);
  const floe = stored(roles.floeRole);
  const database = stored(state.database);
  const separate = admin !== floe;
  const required: Requirement[] = [];
  if (!state.databaseExists) {
    required.push({ role: admin, privilege: 'CREATE DATABASE', on: 'ACCOUNT', name: '', why: `to create database ${database}` });
  } else if (separate) {
    required.push({ role: admin, privilege: 'GRANT', on: 'DATABASE', name: database, why: `to grant ${floe} USAGE and CREATE SCHEMA on database ${database}` });
  }
  for (const integration of state.integrations) {
    const name = stored(integration.name);
    if (!integration.exists) required.push({ role: admin, privilege: 'CREATE INTEGRATION', on: 'ACCOUNT', name: '', why: `to create integration ${name}` });
    else if (integration.altered) required.push({ role: admin, privilege: 'OWNERSHIP', on: 'INTEGRATION', name, why: `to alter integration ${name} to the configuration` });
    if (integration.exists && separate) required.push({ role: admin, privilege: 'GRANT', on: 'INTEGRATION', name, why: `to grant ${floe} USAGE on integration ${name}` });
  }
  if (state.warehouse !== undefined) {
    const warehouse = stored(state.warehouse);
    required.push({ role: floe, privilege: 'USAGE', on: 'WAREHOUSE', name: warehouse, why: `to run statements on warehouse ${warehouse}` });
  }
  const missingSchemas = Object.values(WAREHOUSE_SCHEMAS).map(stored).filter((schema) => !state.schemas.has(schema));
  if (state.databaseExists && !separate && missingSchemas.length > 0) {
    required.push({ role: floe, privilege: 'CREATE SCHEMA', on: 'DATABASE', name: database, why: `to create schema(s) ${missingSchemas.join(', ')}` });
  }
  for (const schema of Object.values(WAREHOUSE_SCHEMAS).map(stored).filter((schema) => state.schemas.has(schema))) {
    required.push({ role: floe, privilege: 'OWNERSHIP', on: 'SCHEMA', name: `${database}.${schema}`, why: `to create and replace floe's tables, stage, file format and procedures in ${database}.${schema}` });
  }
  return required;
}

/** A privilege's GRANT statement, for the message; GRANT (the right to grant) is OWNERSHIP or MANAGE GRANTS. */
function grantFor(requirement: Requirement): string {
  const to = `to role ${q(requirement.role)}`;
  const object = (kind: string): string => `${kind} ${requirement.name.split('.').map((part) => q(part)).join('.')}`;
  switch (requirement.on) {
    case 'ACCOUNT':
      return `grant ${requirement.privilege.toLowerCase()} on account ${to}`;
    case 'DATABASE':
      return requirement.privilege === 'GRANT' ? `grant manage grants on account ${to}` : `grant ${requirement.privilege.toLowerCase()} on ${object('database')} ${to}`;
    case 'INTEGRATION':
      return requirement.privilege === 'GRANT' || requirement.privilege === 'OWNERSHIP'
        ? `grant ownership on ${object('integration')} ${to} copy current grants`
        : `grant ${requirement.privilege.toLowerCase()} on ${object('integration')} ${to}`;
    case 'SCHEMA':
      return `grant ${requirement.privilege.toLowerCase()} on ${object('schema')} ${to}${requirement.privilege === 'OWNERSHIP' ? ' copy current grants' : ''}`;
    case 'WAREHOUSE':
      return `grant ${requirement.privilege.toLowerCase()} on ${object('warehouse')} ${to}`;
  }
}

/** One line per requirement `held` does not satisfy, naming the privilege, what needs it and the GRANT that gives it. */
export function missingPrivileges(required: readonly Requirement[], held: ReadonlyMap<string, HeldPrivileges>): string[] {
  return required
    .filter((requirement) => {
      const privileges = held.get(requirement.role);
      return privileges === undefined || !holds(privileges, requirement);
    })
    .map((requirement) => {
      const what = requirement.privilege === 'GRANT' ? `OWNERSHIP of ${requirement.on.toLowerCase()} ${requirement.name} (or MANAGE GRANTS on the account)` : `${requirement.privilege} on ${requirement.on === 'ACCOUNT' ? 'the account' : `${requirement.on.toLowerCase()} ${requirement.name}`}`;
      return `role ${requirement.role} lacks ${what}, needed ${requirement.why}: ${grantFor(requirement)}`;
    });
}
