import { toSnowflakeBinds } from '../../warehouse/snowflake-binds.js';

describe('Warehouse: Snowflake placeholders', () => {
  it('binds a value once per placeholder occurrence', () => {
    // Prepare
    const statement = { sql: 'select $1 as a, $2 as b where x = $1', params: ['r1', 7] };

    // Act
    const bound = toSnowflakeBinds(statement);

    // Assess
    expect(bound).toEqual({ sql: 'select ? as a, ? as b where x = ?', params: ['r1', 7, 'r1'] });
  });

  it('leaves $n inside quoted names and strings alone', () => {
    // Prepare
    const statement = { sql: `select "price $1" from t where a = '$2 it''s' and b = 'x\\'$1' and c = $1`, params: ['v'] };

    // Act
    const bound = toSnowflakeBinds(statement);

    // Assess
    expect(bound).toEqual({ sql: `select "price $1" from t where a = '$2 it''s' and b = 'x\\'$1' and c = ?`, params: ['v'] });
  });

  it("leaves a procedure body's $1 alone: `floe snowflake apply` sends the dispatcher with no values", () => {
    // Prepare: PROCESS_TABLE reads the called procedure's answer as result_scan's column $1
    const statement = { sql: 'create procedure p() returns variant language sql as\n$$\nbegin\n  select $1 into :r from table(result_scan(last_query_id()));\nend;\n$$', params: [] };

    // Act
    const bound = toSnowflakeBinds(statement);

    // Assess
    expect(bound).toEqual(statement);
  });

  it('refuses a placeholder without a value instead of binding NULL', () => {
    // Prepare
    const statement = { sql: 'select $2', params: ['only one'] };

    // Act
    const act = (): unknown => toSnowflakeBinds(statement);

    // Assess
    expect(act).toThrow('Placeholder $2 has no bound value');
  });
});
