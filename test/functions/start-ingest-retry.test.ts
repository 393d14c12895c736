import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig, toTableConfigs } from '../../config/index.js';
import { parseEvent } from '../../events/index.js';
import { createStartIngest } from '../../functions/start-ingest/handler.js';
import { LocalStateStore } from '../../state/index.js';
import { LocalRawStorage } from '../../storage/local.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures');

/** The job arguments start-ingest gives each table of `configText` (as `floe run` and `floe push` store it). */
async function jobArgumentsFor(configText: string): Promise<Map<string, Record<string, string>>> {
  const folder = await mkdtemp(join(tmpdir(), 'floe-start-ingest-retry-'));
  const configFile = join(folder, 'floe.config.yaml');
  await writeFile(configFile, configText);
  const state = new LocalStateStore(join(folder, 'state'));
  await state.putTableConfigs(toTableConfigs(await loadConfig(configFile)));
  const started: Record<string, string>[] = [];
  const handler = createStartIngest({
    state,
    publisher: { publish: async () => undefined },
    jobs: { jobName: 'floe-extract', startJobRun: async (args) => (started.push(args), { jobRunId: `jr_${started.length}` }) },
    raw: new LocalRawStorage(join(folder, 'raw')),
    connectionFor: () => 'postgresql://127.0.0.1/db',
    leaseTtlMs: 60_000,
  });
  const fixture = JSON.parse(await readFile(join(FIXTURES, 'events', 'ingest-requested.json'), 'utf8')) as { detail: object };
  for (const [index, table] of ['users', 'coupons'].entries()) {
    await handler(parseEvent({ ...fixture, detail: { ...fixture.detail, runId: `r-retry-${index}`, source: 'clr', table, mode: 'full' } }));
  }
  return new Map(started.map((args) => [args['--table'] ?? '', args]));
}

const retryArguments = (args: Record<string, string> | undefined): Record<string, string | undefined> => ({
  attempts: args?.['--retry-attempts'],
  backoff: args?.['--retry-backoff-seconds'],
  cap: args?.['--retry-max-backoff-seconds'],
});

describe('Handler: start-ingest, retry settings', () => {
  it("passes each table's retry settings, its own over its source's, to the extraction job", async () => {
    // Prepare
    const config = [
      'sources:',
      '  - name: clr',
      '    engine: postgres',
      '    connection: postgresql://u@127.0.0.1/db',
      '    retry: { attempts: 4, backoffSeconds: 0.5, maxBackoffSeconds: 20 }',
      '    tables:',
      '      - name: users',
      '        primaryKey: [id]',
      '      - name: coupons',
      '        primaryKey: [id]',
      '        retry: { attempts: 1 }',
      '',
    ].join('\n');

    // Act
    const started = await jobArgumentsFor(config);

    // Assess
    expect(retryArguments(started.get('users'))).toEqual({ attempts: '4', backoff: '0.5', cap: '20' });
    expect(retryArguments(started.get('coupons'))).toEqual({ attempts: '1', backoff: '0.5', cap: '20' });
  });

  it('passes the defaults when the config sets no retry', async () => {
    // Prepare
    const config = ['sources:', '  - name: clr', '    engine: postgres', '    connection: postgresql://u@127.0.0.1/db', '    tables:',
      '      - name: users', '        primaryKey: [id]', '      - name: coupons', '        primaryKey: [id]', ''].join('\n');

    // Act
    const started = await jobArgumentsFor(config);

    // Assess
    expect(retryArguments(started.get('users'))).toEqual({ attempts: '3', backoff: '5', cap: '60' });
    expect(started.size).toBe(2);
  });
});
