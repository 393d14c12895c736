import { startFakesnow, type FakesnowServer } from '../fakesnow.js';
import { createSnowflakeWarehouse, snowflakeSettingsFromEnv } from '../../warehouse/snowflake-from-env.js';
import { WarehouseError } from '../../warehouse/warehouse-error.js';

const PRIVATE_KEY = '-----BEGIN PRIVATE KEY-----\\nMIIE-not-a-real-key\\n-----END PRIVATE KEY-----';

describe('Warehouse: createSnowflakeWarehouse from the environment', () => {
  let server: FakesnowServer;

  beforeAll(async () => {
    server = await startFakesnow();
  });

  afterAll(async () => {
    await server.stop();
  });

  const envFor = (database: string): Record<string, string> => {
    const endpoint = server.settings(database).endpoint;
    return {
      FLOE_SNOWFLAKE_ACCOUNT: 'floe-test',
      FLOE_SNOWFLAKE_USER: 'floe',
      FLOE_SNOWFLAKE_DATABASE: database,
      FLOE_SNOWFLAKE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:floe/snowflake',
      FLOE_SNOWFLAKE_ENDPOINT: `http://${endpoint?.host ?? ''}:${endpoint?.port ?? 0}`,
    };
  };

  it('connects with the password from the named secret and prepares floe schemas', async () => {
    // Prepare
    const read: string[] = [];
    const readSecret = async (id: string): Promise<string> => {
      read.push(id);
      return JSON.stringify({ password: 'from-secrets-manager' });
    };

    // Act
    const warehouse = await createSnowflakeWarehouse(envFor('FROM_ENV'), { readSecret });

    // Assess
    const schemas = await warehouse.query("select schema_name as \"s\" from information_schema.schemata where schema_name in ('RAW', 'STAGING', 'GOLD', 'FLOE') order by 1");
    expect(schemas).toEqual([{ s: 'FLOE' }, { s: 'GOLD' }, { s: 'RAW' }, { s: 'STAGING' }]);
    expect(read).toEqual(['arn:aws:secretsmanager:eu-west-1:123456789012:secret:floe/snowflake']);
    await warehouse.close();
  });

  it('prefers key-pair auth from the environment and restores the PEM line breaks', async () => {
    // Prepare
    const env = { ...envFor('X'), FLOE_SNOWFLAKE_SECRET_ARN: '', FLOE_SNOWFLAKE_PRIVATE_KEY: PRIVATE_KEY, FLOE_SNOWFLAKE_PASSWORD: 'ignored' };

    // Act
    const settings = await snowflakeSettingsFromEnv(env);

    // Assess
    expect(settings.credentials).toEqual({ privateKey: PRIVATE_KEY.replaceAll('\\n', '\n') });
  });

  it('names the missing variable and never a secret value', async () => {
    // Prepare
    const env = { ...envFor('X'), FLOE_SNOWFLAKE_USER: '' };
    const badSecret = async (): Promise<string> => '{"user": "floe", "pass": "hunter2"}';

    // Act
    const missing = snowflakeSettingsFromEnv(env);
    const unusable = snowflakeSettingsFromEnv(envFor('X'), badSecret);

    // Assess
    await expect(missing).rejects.toThrow(new WarehouseError('Environment variable FLOE_SNOWFLAKE_USER is not set; the Snowflake warehouse needs it (see docs/snowflake.md).'));
    await expect(unusable).rejects.toThrow(/has neither privateKey nor password/);
    await expect(snowflakeSettingsFromEnv(envFor('X'), badSecret)).rejects.not.toThrow(/hunter2/);
  });
});
