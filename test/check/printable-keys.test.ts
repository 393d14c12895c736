import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { checkCommand } from '../../cli/check.js';
import { captureOutput } from '../cli/helpers.js';
import { inWarehouse, loadAll } from './helpers.js';

const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const SCHEMA = 'floe_check_printable';
const STAGING = `staging."pg__${SCHEMA}__codes"`;
/** Key values a source may hold: an ESC sequence that clears the screen, a newline, a C1 CSI, a bidi override. */
const HOSTILE_KEYS = ['esc\u001b[2Jgone', 'two\nlines', 'c1\u009b31m', 'rtl\u202eevil'];
/** Any control character but the newlines that end the lines printed. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

describe('floe check: key values reach the terminal escaped', () => {
  const client = new pg.Client({ connectionString: PG_URL });
  let configFile: string;

  beforeAll(async () => {
    await client.connect();
    await client.query(`drop schema if exists ${SCHEMA} cascade; create schema ${SCHEMA}`);
    await client.query(`create table ${SCHEMA}.codes (code text primary key, note text)`);
    for (const key of ['plain', ...HOSTILE_KEYS]) await client.query(`insert into ${SCHEMA}.codes values ($1, 'n')`, [key]);
    const folder = await mkdtemp(join(tmpdir(), 'floe-check-printable-'));
    configFile = join(folder, 'floe.config.yaml');
    await writeFile(configFile, [
      'sources:',
      '  - name: pg', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:',
      `      - name: ${SCHEMA}.codes`, '        primaryKey: [code]',
    ].join('\n'));
    const warehousePath = await loadAll(configFile);
    // Drift behind floe's back: the hostile rows vanish from staging, so check lists their keys as missing.
    await inWarehouse(warehousePath, [`delete from ${STAGING} where code <> 'plain'`]);
  });

  afterAll(async () => {
    await client.query(`drop schema if exists ${SCHEMA} cascade`);
    await client.end();
  });

  it('prints ESC, newline, C1 and bidi characters of key values as visible escapes', async () => {
    // Act
    const { code, stdout, stderr } = await captureOutput(() => checkCommand(['--config', configFile]));

    // Assess
    expect(code).toBe(1);
    expect(stdout).not.toMatch(RAW_CONTROL);
    expect(stderr).not.toMatch(RAW_CONTROL);
    const missing = stdout.split('\n').filter((line) => line.startsWith(`pg/${SCHEMA}.codes missing keys: `));
    expect(missing).toHaveLength(1);
    expect(missing[0]!.slice(`pg/${SCHEMA}.codes missing keys: `.length).split(', ').sort()).toEqual(
      ['c1\\x9b31m', 'esc\\x1b[2Jgone', 'rtl\\u202eevil', 'two\\nlines'],
    );
  });

  it('keeps --json exact: the same keys, escaped only as JSON escapes them', async () => {
    // Act
    const { stdout } = await captureOutput(() => checkCommand(['--config', configFile, '--json']));

    // Assess
    expect(stdout).not.toMatch(RAW_CONTROL);
    const [table] = JSON.parse(stdout) as { drift: { missing: { code: string }[] } | null }[];
    expect(table?.drift?.missing.map((key) => key.code).sort()).toEqual([...HOSTILE_KEYS].sort());
  });
});
