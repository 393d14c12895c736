import { ConfigError } from '../../config/errors.js';
import { loadConfig } from '../../config/load.js';
import { toTableConfigs } from '../../config/table-config.js';
import { extractionJobArguments } from '../../pipeline/job-arguments.js';
import { ENV, validConfigData, writeConfig } from './helpers.js';

const RUN = { runId: 'r1', rawRoot: '/raw', runTime: new Date('2026-01-01T00:00:00Z'), watermark: null };

describe('Config: unrepresentable values', () => {
  it('passes each table its policy and column exceptions as job arguments, quarantine when unset', async () => {
    // Prepare
    const data = await validConfigData();
    data['sources'][0].tables[0].unrepresentable = 'coerce';
    data['sources'][0].tables[1].unrepresentableColumns = { valid_until: 'fail' };

    // Act
    const items = toTableConfigs(await loadConfig(await writeConfig(data), { env: ENV }));
    const args = items.map((item) => extractionJobArguments({ ...item, connection: 'postgresql://h/db' }, RUN));

    // Assess
    expect(args.map((a) => [a['--unrepresentable'], a['--unrepresentable-columns']])).toEqual([
      ['coerce', undefined],
      ['quarantine', '{"valid_until":"fail"}'],
      ['quarantine', undefined],
    ]);
  });

  it('refuses a policy other than fail for a key column, and an unknown policy, naming the table and column', async () => {
    // Prepare
    const data = await validConfigData();
    const table = data['sources'][0].tables[1];
    table.unrepresentableColumns = { [table.primaryKey[0]]: 'quarantine' };
    data['sources'][0].tables[0].unrepresentable = 'ignore';

    // Act
    const error = await loadConfig(await writeConfig(data), { env: ENV }).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain(`sources[0].tables[1].unrepresentableColumns.${table.primaryKey[0]}`);
    expect(message).toContain(`column '${table.primaryKey[0]}' is a primary-key column`);
    expect(message).toContain('sources[0].tables[0].unrepresentable');
  });
});
