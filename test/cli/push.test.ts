import { readFile, writeFile } from 'node:fs/promises';
import { DynamoDBClient, ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';

import { pushCommand } from '../../cli/push.js';
import { statusCommand } from '../../cli/status.js';
import { DynamoDbStateStore, createStateTables, stateTableNamesFor } from '../../state/dynamodb.js';
import { startMoto, type MotoServer } from '../moto.js';
import { ConfigError, loadConfig } from '../../config/index.js';
import { CONNECTION_VARIABLE, captureOutput, SECRET, tempProject } from './helpers.js';

const STACK = 'FloeCliTest';
const AWS_VARIABLES = ['AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;

/** Every item of every DynamoDB table moto holds, as JSON text: whatever a command stored, wherever. */
async function everyItemInMoto(client: DynamoDBClient): Promise<string> {
  const { TableNames = [] } = await client.send(new ListTablesCommand({}));
  const tables = await Promise.all(TableNames.map(async (TableName) => ({ TableName, Items: (await client.send(new ScanCommand({ TableName }))).Items })));
  return JSON.stringify(tables);
}

describe('CLI: floe push and status on the stack\'s DynamoDB tables (moto)', () => {
  let moto: MotoServer;
  let client: DynamoDBClient;
  const saved = new Map<string, string | undefined>();

  beforeAll(async () => {
    moto = await startMoto();
    client = new DynamoDBClient(moto.config);
    await createStateTables(client, stateTableNamesFor(STACK));
    // The CLI builds its client the SDK's usual way; these point it at moto, as AWS_PROFILE would at an account.
    const values = { AWS_ENDPOINT_URL: moto.config.endpoint, AWS_REGION: moto.config.region, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };
    for (const name of AWS_VARIABLES) {
      saved.set(name, process.env[name]);
      process.env[name] = values[name];
    }
  });

  afterAll(async () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    client?.destroy();
    await moto?.stop();
  });

  it('pushes the table configs to state: dynamodb://<stack>, where start-ingest reads them, and status lists them', async () => {
    // Prepare
    const { configFile } = await tempProject();
    await writeFile(configFile, (await readFile(configFile, 'utf8')).replace('state: ./state', `state: dynamodb://${STACK}`));

    // Act
    const pushed = await captureOutput(() => pushCommand(['--config', configFile]));
    const status = await captureOutput(() => statusCommand(['--config', configFile, '--json']));

    // Assess
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toContain(`2 table config(s) pushed to dynamodb://${STACK}`);
    const store = new DynamoDbStateStore(client, stateTableNamesFor(STACK));
    expect(await store.getTableConfig('clr', 'clr.users')).toEqual({
      source: 'clr', table: 'clr.users', engine: 'postgres', primaryKey: ['id'], mode: 'incremental',
      incrementalColumn: 'updated_at', partitions: 1, lookbackSeconds: 0, maxConnections: 4,
    });
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as { table: string; state: string }[]).map((t) => [t.table, t.state])).toEqual([
      ['clr.users', 'idle'], ['clr.coupons', 'idle'],
    ]);
  });

  it('never prints or stores the connection\'s password, though the process holds it in the variable the config names', async () => {
    // Prepare: the connection variable set, as on a machine that also runs floe run; the config resolves it to the password
    const { configFile } = await tempProject();
    await writeFile(configFile, (await readFile(configFile, 'utf8')).replace('state: ./state', `state: dynamodb://${STACK}`));
    const connection = (await loadConfig(configFile)).sources[0]?.connection;

    // Act
    const pushed = await captureOutput(() => pushCommand(['--config', configFile]));
    const status = await captureOutput(() => statusCommand(['--config', configFile, '--json']));
    const stored = await everyItemInMoto(client);

    // Assess
    expect(process.env[CONNECTION_VARIABLE]).toContain(SECRET);
    expect(connection).toContain(SECRET);
    expect(pushed.code).toBe(0);
    expect(status.code).toBe(0);
    expect(stored).toContain('clr.users');
    for (const text of [pushed.stdout, pushed.stderr, status.stdout, status.stderr, stored]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('db.internal');
    }
  });

  it('pushes without the connections\' variables set: connections are not pushed', async () => {
    // Prepare
    const { configFile } = await tempProject();
    await writeFile(configFile, (await readFile(configFile, 'utf8')).replace('state: ./state', `state: dynamodb://${STACK}`));
    delete process.env[CONNECTION_VARIABLE];

    // Act
    const pushed = await captureOutput(() => pushCommand(['--config', configFile]));

    // Assess
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toContain(`2 table config(s) pushed to dynamodb://${STACK}`);
    await expect(loadConfig(configFile)).rejects.toThrow(CONNECTION_VARIABLE);
  });

  it('refuses a state location that cannot be a stack name', async () => {
    // Prepare
    const { configFile } = await tempProject();
    await writeFile(configFile, (await readFile(configFile, 'utf8')).replace('state: ./state', `state: dynamodb://${STACK}/`));

    // Act
    const push = pushCommand(['--config', configFile]);

    // Assess
    await expect(push).rejects.toBeInstanceOf(ConfigError);
    await expect(push).rejects.toThrow(`state dynamodb://${STACK}/: expected dynamodb://<stack name>`);
  });
});
