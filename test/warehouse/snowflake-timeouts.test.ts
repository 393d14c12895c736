import { DEADLINE_RESERVE_MS, SnowflakeSession } from '../../warehouse/snowflake-connection.js';
import { WarehouseError } from '../../warehouse/warehouse-error.js';
import { startFakesnow, type FakesnowServer } from '../fakesnow.js';

/** About ten seconds of work for fakesnow (DuckDB counting 3·10^10 generated rows). */
const SLOW = 'select count(*) as "n" from table(generator(rowcount => 30000000000))';

/**
 * A statement never outlives the invocation that started it: when the caller's deadline (a
 * Lambda's remaining time) comes near, floe cancels the statement (the driver's abort request) and
 * starts no other, so a retry never runs beside it. Snowflake's own STATEMENT_TIMEOUT_IN_SECONDS
 * (set on every session, snowflake-real-rules.test.ts) is the bound when the caller dies outright.
 * This file has its own fakesnow: the cancelled statement keeps its thread busy until it ends.
 */
describe('Warehouse: Snowflake statements and their caller\'s deadline, on fakesnow', () => {
  let server: FakesnowServer;

  beforeAll(async () => {
    server = await startFakesnow();
  });

  afterAll(async () => {
    await server.stop();
  });

  it("cancels a statement still running when its caller's time runs out, and says a retry runs it", async () => {
    // Prepare
    let deadline: number | undefined;
    const session = await SnowflakeSession.open(server.settings('TIMEOUTS'), { deadline: () => deadline });
    const aborts = (await server.abortsSeen()).length;
    deadline = Date.now() + DEADLINE_RESERVE_MS + 800;
    const started = Date.now();

    // Act
    const act = session.run({ sql: SLOW, params: [] }, 'test');

    // Assess
    await expect(act).rejects.toThrow(WarehouseError);
    await expect(act).rejects.toMatchObject({ retryable: true, message: expect.stringContaining("cancelled after 1 s: its caller's time was running out") });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await server.abortsSeen()).length).toBe(aborts + 1);
  });

  it("starts no statement once the caller's time is up", async () => {
    // Prepare
    let deadline: number | undefined;
    const session = await SnowflakeSession.open(server.settings('TIMEOUTS'), { deadline: () => deadline });
    const seen = (await server.statementsSeen()).length;
    deadline = Date.now() + DEADLINE_RESERVE_MS - 1;

    // Act
    const act = session.run({ sql: 'select 1 as "one"', params: [] }, 'test');

    // Assess
    await expect(act).rejects.toMatchObject({ retryable: true, message: expect.stringContaining('Not starting a Snowflake statement') });
    expect((await server.statementsSeen()).length).toBe(seen);
  });
});
