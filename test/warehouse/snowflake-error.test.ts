import { wrapSnowflakeError } from '../../warehouse/snowflake-error.js';
import { WarehouseError } from '../../warehouse/warehouse-error.js';

describe('Warehouse: Snowflake errors say whether a retry can help', () => {
  it.each([
    ['000625 (57014): Statement aborted because the number of waiters for this lock exceeds the 20 statements limit', true],
    ['Request to Snowflake failed.', true],
    ['connect ECONNREFUSED 127.0.0.1:443', true],
    ["001003 (42000): SQL compilation error: syntax error line 1 at position 0 unexpected 'selec'", false],
    ['002003 (42S02): Table "RAW"."SHOP__ORDERS" does not exist or not authorized.', false],
  ])('wraps "%s" as retryable=%s, saying what floe was doing', (message, retryable) => {
    // Prepare
    const driverError = Object.assign(new Error(message), { code: message.slice(0, 6) });

    // Act
    const wrapped = wrapSnowflakeError('Loading run r1 into "RAW"."SHOP__ORDERS"', driverError);

    // Assess
    expect(wrapped).toBeInstanceOf(WarehouseError);
    expect(wrapped.retryable).toBe(retryable);
    expect(wrapped.message).toBe(`Loading run r1 into "RAW"."SHOP__ORDERS" failed: ${message}`);
    expect(wrapped.cause).toBe(driverError);
  });

  it('passes a WarehouseError through unchanged', () => {
    // Prepare
    const original = new WarehouseError('File a.parquet of run r1 has 1 rows but the manifest says 5');

    // Act
    const wrapped = wrapSnowflakeError('Loading', original);

    // Assess
    expect(wrapped).toBe(original);
  });
});
