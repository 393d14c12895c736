import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { logsCommand } from '../../cli/logs.js';
import { statusCommand } from '../../cli/status.js';
import { formatDdlScript } from '../../warehouse/snowflake-ddl.js';
import { captureOutput, tempProject } from './helpers.js';

const at = (time: string): string => `2025-11-05T${time}.000Z`;
/** Any control character but the newlines that end the lines printed. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;
const LOG_PATH = '_logs/postgres/clr/clr.users/2025-11-05/r1.jsonl';

/** Run r1 of clr/clr.users, failed with an error text that carries an ESC sequence and a newline. */
async function hostileRun() {
  const project = await tempProject({ now: () => new Date(at('12:10:00')) });
  const { store } = project;
  await store.startRun({ runId: 'r1', source: 'clr', table: 'clr.users', mode: 'incremental', requestedAt: at('12:00:00') });
  await store.acquireLease('clr', 'clr.users', 'r1', new Date(at('12:00:00')), 60_000);
  await store.commitWatermark('clr', 'clr.users', 'r1', 'wm\u001b]0;pwned\u0007');
  const error = { name: 'SourceError', message: 'value "\u001b[2J" broke\nthe line', retryable: false };
  await store.recordStep('r1', { name: 'extract', startedAt: at('12:00:01'), finishedAt: at('12:00:02'), error });
  await store.finishRun('r1', 'failed', error);
  const file = join(project.folder, 'raw', LOG_PATH);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, [
    JSON.stringify({ ts: at('12:00:01'), level: 'info', event: 'start', runId: 'r1', bare: '\u001b[31mred', c1: 'csi\u009b2J', del: 'x\u007f' }),
    'not json \u001b[2J and a bell \u0007',
  ].join('\n'));
  return project;
}

describe('CLI: control characters from the state, the job log and names reach the terminal escaped', () => {
  it('floe logs escapes ESC, C1, DEL and newlines in log lines, the run error and its steps', async () => {
    // Prepare
    const { configFile } = await hostileRun();

    // Act
    const { code, stdout } = await captureOutput(() => logsCommand(['r1', '--config', configFile]));

    // Assess
    expect(code).toBe(0);
    expect(stdout).not.toMatch(RAW_CONTROL);
    const lines = stdout.split('\n');
    expect(lines[1]).toBe('2025-11-05T12:00:01.000Z info start bare=\\x1b[31mred c1=csi\\x9b2J del=x\\x7f');
    expect(lines[2]).toBe('not json \\x1b[2J and a bell \\x07');
    expect(lines).toContain('error SourceError: value "\\x1b[2J" broke\\nthe line');
  });

  it('floe logs --json keeps every line valid JSON, with the same values, and no raw control character', async () => {
    // Prepare
    const { configFile } = await hostileRun();

    // Act
    const { stdout } = await captureOutput(() => logsCommand(['r1', '--json', '--config', configFile]));

    // Assess
    expect(stdout).not.toMatch(RAW_CONTROL);
    const [record] = stdout.split('\n');
    expect(JSON.parse(record!)).toMatchObject({ bare: '\u001b[31mred', c1: 'csi\u009b2J', del: 'x\u007f' });
  });

  it('floe status escapes a watermark holding an ESC sequence, in the table and in --json', async () => {
    // Prepare
    const { configFile } = await hostileRun();

    // Act
    const table = await captureOutput(() => statusCommand(['--config', configFile]));
    const json = await captureOutput(() => statusCommand(['--config', configFile, '--json']));

    // Assess
    expect(table.stdout).not.toMatch(RAW_CONTROL);
    expect(table.stdout).toMatch(/^clr\/clr\.users\s+incremental\s+wm\\x1b\]0;pwned\\x07\s+r1\s+failed/m);
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    expect((JSON.parse(json.stdout) as { watermark: string }[])[0]?.watermark).toBe('wm\u001b]0;pwned\u0007');
  });

  it('floe snowflake ddl keeps a comment naming a table with a newline on one line', () => {
    // Act
    const script = formatDdlScript([{ purpose: 'raw table of src.t\ndrop database floe; --\u001b[2J', sql: 'select 1' }]);

    // Assess
    expect(script).toBe('-- raw table of src.t\\ndrop database floe; --\\x1b[2J\nselect 1;\n');
  });
});
