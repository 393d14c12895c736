import { snowflakeDialect } from '../../warehouse/snowflake-dialect.js';
import { writeFixtureRun } from '../fixtures/warehouse/parquet-run.js';
import { describeWarehouse } from './conformance.js';
import { SnowflakeEmulator } from './snowflake-emulator.js';

let emulator: SnowflakeEmulator;

beforeAll(async () => {
  emulator = await SnowflakeEmulator.start();
});

afterAll(async () => {
  await emulator.stop();
});

describeWarehouse('Snowflake on fakesnow', async () => {
  const { warehouse, rawRoot, cleanUp } = await emulator.freshWarehouse();
  return {
    warehouse,
    dialect: snowflakeDialect,
    rawRoot,
    writeRun: (run) => writeFixtureRun(emulator.parquetWriter, rawRoot, run),
    close: async () => {
      await warehouse.close();
      cleanUp();
    },
  };
});
