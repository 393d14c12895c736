import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LocalStateStore } from '../../state/index.js';

/** The password in the test source's connection: no command may ever print it. */
export const SECRET = 'pa55-never-printed';
export const CONNECTION_VARIABLE = 'FLOE_CLI_TEST_CLR_URL';

/**
 * A temp project: `floe.config.yaml` with raw `./raw` (or `options.raw`) and state `./state`, one
 * postgres source `clr` (connection from {@link CONNECTION_VARIABLE}) with an
 * incremental `clr.users` and a full `clr.coupons`; and its state store.
 */
export async function tempProject(options: { now?: () => Date; raw?: string } = {}): Promise<{ folder: string; configFile: string; store: LocalStateStore }> {
  const folder = await mkdtemp(join(tmpdir(), 'floe-cli-'));
  process.env[CONNECTION_VARIABLE] = `postgresql://floe:${SECRET}@db.internal:5432/clr`;
  const configFile = join(folder, 'floe.config.yaml');
  await writeFile(
    configFile,
    [
      `raw: ${options.raw ?? './raw'}`,
      'state: ./state',
      'sources:',
      '  - name: clr',
      '    engine: postgres',
      `    connection: \${${CONNECTION_VARIABLE}}`,
      '    tables:',
      '      - name: clr.users',
      '        primaryKey: [id]',
      '        incrementalColumn: updated_at',
      '      - name: clr.coupons',
      '        primaryKey: [id]',
      '',
    ].join('\n'),
  );
  return { folder, configFile, store: new LocalStateStore(join(folder, 'state'), options.now === undefined ? {} : { now: options.now }) };
}

/** Write `records` as a job log at `path` under the project's raw folder. */
export async function writeJobLog(folder: string, path: string, records: readonly object[]): Promise<string> {
  const file = join(folder, 'raw', path);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, records.map((record) => `${JSON.stringify(record)}\n`).join(''));
  return file;
}

/** Run `act` with stdout and stderr captured; returns what was written and the exit code. */
export async function captureOutput(act: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  // ESM tests have no global `jest`; `import.meta.jest` is the same object.
  const { jest } = import.meta;
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => stdout.push(String(chunk)) > 0);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => stderr.push(String(chunk)) > 0);
  try {
    const code = await act();
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
