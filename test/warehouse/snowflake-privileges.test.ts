import { apiIntegrationAlteration, storageIntegrationAlteration } from '../../warehouse/snowflake-integrations.js';
import { heldPrivileges, missingPrivileges, requiredPrivileges, type AccountState, type HeldPrivileges } from '../../warehouse/snowflake-privileges.js';

/**
 * fakesnow has no roles, grants or integrations: `floe snowflake apply`'s checks are the pure
 * functions here, fed rows shaped as Snowflake documents SHOW GRANTS
 * (https://docs.snowflake.com/en/sql-reference/sql/show-grants#output) and DESC INTEGRATION
 * (https://docs.snowflake.com/en/sql-reference/sql/desc-integration) print them; the statements
 * that read those rows run on a real account in `floe snowflake apply`.
 */
const grant = (privilege: string, grantedOn: string, name: string) => ({ created_on: '2025-11-05', privilege, granted_on: grantedOn, name, granted_to: 'ROLE', grantee_name: 'X', grant_option: 'false', granted_by: 'SYSADMIN' });

const GRANTS: Record<string, Record<string, unknown>[]> = {
  FLOE: [grant('USAGE', 'WAREHOUSE', 'FLOE_WH'), grant('USAGE', 'ROLE', 'FLOE_READER')],
  FLOE_READER: [grant('USAGE', 'DATABASE', 'ANALYTICS')],
  PLATFORM: [grant('CREATE DATABASE', 'ACCOUNT', 'XY12345'), grant('USAGE', 'WAREHOUSE', 'FLOE_WH')],
  ACCOUNTADMIN: [grant('USAGE', 'ROLE', 'SYSADMIN')],
  SYSADMIN: [],
};
const showGrants = async (role: string) => GRANTS[role] ?? [];
const fresh: AccountState = { database: 'ANALYTICS', databaseExists: false, schemas: new Set(), integrations: [{ name: 'floe_raw', exists: false, altered: false }], warehouse: 'FLOE_WH' };

async function held(...roles: string[]): Promise<Map<string, HeldPrivileges>> {
  return new Map(await Promise.all(roles.map(async (role) => [role, await heldPrivileges(showGrants, role)] as const)));
}

describe('Snowflake apply: what each role must hold, checked before anything changes', () => {
  it('reads a role with the roles granted to it', async () => {
    // Prepare, Act
    const floe = await heldPrivileges(showGrants, 'floe');

    // Assess
    expect([...floe.roles]).toEqual(['FLOE', 'FLOE_READER']);
    expect(floe.grants).toContainEqual({ privilege: 'USAGE', grantedOn: 'DATABASE', name: 'ANALYTICS' });
  });

  it('lets ACCOUNTADMIN create the database and the integration and grant floe what it needs', async () => {
    // Prepare
    const required = requiredPrivileges(fresh, { floeRole: 'FLOE', adminRole: 'ACCOUNTADMIN' });

    // Act
    const missing = missingPrivileges(required, await held('ACCOUNTADMIN', 'FLOE'));

    // Assess
    expect(missing).toEqual([]);
  });

  it('names every missing privilege, what needs it, and the grant that gives it', async () => {
    // Prepare: one role doing everything, without CREATE INTEGRATION; its warehouse granted, its database not yet made
    const required = requiredPrivileges(fresh, { floeRole: 'PLATFORM', adminRole: 'PLATFORM' });

    // Act
    const missing = missingPrivileges(required, await held('PLATFORM'));

    // Assess
    expect(missing).toEqual(['role PLATFORM lacks CREATE INTEGRATION on the account, needed to create integration FLOE_RAW: grant create integration on account to role "PLATFORM"']);
  });

  it('asks for ownership of an integration it must alter, and of existing schemas', async () => {
    // Prepare
    const state: AccountState = { ...fresh, databaseExists: true, schemas: new Set(['RAW']), integrations: [{ name: 'floe_raw', exists: true, altered: true }] };

    // Act
    const missing = missingPrivileges(requiredPrivileges(state, { floeRole: 'FLOE', adminRole: 'PLATFORM' }), await held('PLATFORM', 'FLOE'));

    // Assess
    expect(missing).toEqual([
      'role PLATFORM lacks OWNERSHIP of database ANALYTICS (or MANAGE GRANTS on the account), needed to grant FLOE USAGE and CREATE SCHEMA on database ANALYTICS: grant manage grants on account to role "PLATFORM"',
      'role PLATFORM lacks OWNERSHIP on integration FLOE_RAW, needed to alter integration FLOE_RAW to the configuration: grant ownership on integration "FLOE_RAW" to role "PLATFORM" copy current grants',
      'role PLATFORM lacks OWNERSHIP of integration FLOE_RAW (or MANAGE GRANTS on the account), needed to grant FLOE USAGE on integration FLOE_RAW: grant ownership on integration "FLOE_RAW" to role "PLATFORM" copy current grants',
      'role FLOE lacks OWNERSHIP on schema ANALYTICS.RAW, needed to create and replace floe\'s tables, stage, file format and procedures in ANALYTICS.RAW: grant ownership on schema "ANALYTICS"."RAW" to role "FLOE" copy current grants',
    ]);
  });
});

describe('Snowflake apply: integrations brought to the configuration in place', () => {
  const storage = { name: 'floe_raw', roleArn: 'arn:aws:iam::123456789012:role/floe-raw' };
  const described = (arn: string, locations: string) => [
    { property: 'ENABLED', property_type: 'Boolean', property_value: 'true', property_default: 'false' },
    { property: 'STORAGE_PROVIDER', property_type: 'String', property_value: 'S3', property_default: '' },
    { property: 'STORAGE_ALLOWED_LOCATIONS', property_type: 'List', property_value: locations, property_default: '[]' },
    { property: 'STORAGE_AWS_ROLE_ARN', property_type: 'String', property_value: arn, property_default: '' },
    { property: 'STORAGE_AWS_EXTERNAL_ID', property_type: 'String', property_value: 'ABC_SFCRole=1_x=', property_default: '' },
  ];

  it('leaves an integration that matches alone', () => {
    expect(storageIntegrationAlteration(storage, 's3://floe-raw/landing', described(storage.roleArn, 's3://floe-raw/landing/'))).toBeNull();
  });

  it('alters a changed role ARN and allowed location, keeping the external id (no replace)', () => {
    // Prepare, Act
    const alteration = storageIntegrationAlteration(storage, 's3://floe-raw-2/landing', described('arn:aws:iam::123456789012:role/old', 's3://floe-raw/landing/'));

    // Assess
    expect(alteration?.sql).toBe("alter storage integration \"FLOE_RAW\" set storage_aws_role_arn = 'arn:aws:iam::123456789012:role/floe-raw' storage_allowed_locations = ('s3://floe-raw-2/landing/')");
    expect(alteration?.changes.map((change) => change.property)).toEqual(['STORAGE_AWS_ROLE_ARN', 'STORAGE_ALLOWED_LOCATIONS']);
  });

  it("alters an API integration's role and prefix, and enables it", () => {
    // Prepare
    const ingest = { apiIntegration: 'floe_api', roleArn: 'arn:aws:iam::123456789012:role/api', url: 'https://new.example/prod/ingest' };
    const rows = [
      { property: 'ENABLED', property_value: 'false' },
      { property: 'API_ALLOWED_PREFIXES', property_value: 'https://old.example/prod/ingest' },
      { property: 'API_AWS_ROLE_ARN', property_value: 'arn:aws:iam::123456789012:role/api' },
    ];

    // Act
    const alteration = apiIntegrationAlteration(ingest, rows);

    // Assess
    expect(alteration?.sql).toBe("alter api integration \"FLOE_API\" set api_allowed_prefixes = ('https://new.example/prod/ingest') enabled = true");
  });
});
