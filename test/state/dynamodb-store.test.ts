import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbStateStore, createStateTables, type StateTableNames } from '../../state/dynamodb.js';
import { describeStateStore } from './conformance.js';
import { startMoto, type MotoServer } from '../moto.js';

let moto: MotoServer;
let client: DynamoDBClient;
let tableSets = 0;

beforeAll(async () => {
  moto = await startMoto({ serial: true });
  client = new DynamoDBClient(moto.config);
});

afterAll(async () => {
  client?.destroy();
  await moto?.stop();
});

/** Fresh tables for each store, so tests share the server but no items. */
async function freshTables(): Promise<StateTableNames> {
  tableSets += 1;
  const names = { tableConfig: `floe-${tableSets}-table-config`, runtime: `floe-${tableSets}-runtime`, runs: `floe-${tableSets}-runs` };
  await createStateTables(client, names);
  return names;
}

describeStateStore('DynamoDB', async (options = {}) => new DynamoDbStateStore(client, await freshTables(), options));

describe('State: DynamoDB store', () => {
  it('refuses an item that is not a floe item, naming the table and key', async () => {
    // Prepare
    const tables = await freshTables();
    const store = new DynamoDbStateStore(client, tables);
    await client.send(new PutItemCommand({ TableName: tables.runtime, Item: { pk: { S: 'clr/users' }, source: { S: 'clr' }, table: { S: 'users' }, watermark: { N: '5' } } }));

    // Act
    const act = store.getTableState('clr', 'users');

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'StateError', retryable: false, message: expect.stringContaining(`${tables.runtime} item clr/users is not a floe state item (watermark:`) });
  });

  it('says to create the tables when they do not exist', async () => {
    // Prepare
    const store = new DynamoDbStateStore(client, { tableConfig: 'missing-config', runtime: 'missing-runtime', runs: 'missing-runs' });

    // Act
    const act = store.getTableState('clr', 'users');

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'StateError', retryable: false, message: expect.stringContaining('call createStateTables') });
  });

  it('reports an unreachable endpoint as a retryable error', async () => {
    // Prepare
    const unreachable = new DynamoDBClient({ ...moto.config, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const store = new DynamoDbStateStore(unreachable, { tableConfig: 'c', runtime: 'r', runs: 'x' });

    // Act
    const act = store.acquireLease('clr', 'users', 'run-1', new Date(), 60_000);

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'StateError', retryable: true });
    unreachable.destroy();
  });

  it('creates the tables again without failing when they exist', async () => {
    // Prepare
    const tables = await freshTables();

    // Act
    const act = createStateTables(client, tables);

    // Assess
    await expect(act).resolves.toBeUndefined();
  });
});
