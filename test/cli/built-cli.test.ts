import { spawn, spawnSync } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { repoRoot } from '../state/helpers.js';

/** What `floe --help` says of floe, in cli/floe.ts: a text to find in, and change in, a build. */
const TAGLINE = 'move PostgreSQL and MySQL/MariaDB into Snowflake and keep them in sync';

/** A copy of the checkout that a test may edit: its TypeScript folders, bin/, the build script, and the real node_modules. */
async function checkoutCopy(): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'floe-built-cli-'));
  const { include } = JSON.parse(await readFile(join(repoRoot, 'tsconfig.json'), 'utf8')) as { include: string[] };
  const sources = include.filter((folder) => folder !== 'test' && folder !== 'bench');
  // Timestamps kept: sources written in the second before a build leave it unrecorded (build-cli.mjs).
  for (const path of [...sources, 'bin', 'scripts/build-cli.mjs', 'package.json', 'tsconfig.json']) {
    await cp(join(repoRoot, path), join(copy, path), { recursive: true, preserveTimestamps: true });
  }
  await symlink(join(repoRoot, 'node_modules'), join(copy, 'node_modules'));
  return copy;
}

function floe(copy: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [join(copy, 'bin', 'floe.js'), ...args], { cwd: tmpdir(), encoding: 'utf8' });
}

async function floeAsync(copy: string, ...args: string[]): Promise<{ status: number | null; stdout: string }> {
  const child = spawn(process.execPath, [join(copy, 'bin', 'floe.js'), ...args], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { status, stdout };
}

/** The build folder dist/cli-build/build.json names, and the file of it that holds `text`. */
async function builtFileWith(copy: string, text: string): Promise<string> {
  const { dir } = JSON.parse(await readFile(join(copy, 'dist', 'cli-build', 'build.json'), 'utf8')) as { dir: string };
  for (const name of await readdir(join(copy, 'dist', 'cli-build', dir), { recursive: true })) {
    const file = join(copy, 'dist', 'cli-build', dir, name);
    if (name.endsWith('.js') && (await readFile(file, 'utf8')).includes(text)) return file;
  }
  throw new Error(`no file of build ${dir} holds ${JSON.stringify(text)}`);
}

/** Replaces `from` with `to` in `file`, as an editor would: a new mtime, maybe a new size. */
async function edit(file: string, from: string, to: string): Promise<void> {
  const source = await readFile(file, 'utf8');
  await writeFile(file, source.replace(from, to));
}

describe('CLI: floe runs compiled, and never a build older than its sources', () => {
  let copy: string;

  beforeEach(async () => {
    copy = await checkoutCopy();
  });

  afterEach(async () => {
    await rm(copy, { recursive: true, force: true });
  });

  it('builds dist/cli-build/ at its first start and runs that build, not tsx', async () => {
    // Prepare
    const first = floe(copy, '--help');
    await edit(await builtFileWith(copy, TAGLINE), TAGLINE, 'said by the build');

    // Act
    const second = floe(copy, '--help');

    // Assess
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(TAGLINE);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain('said by the build');
  });

  it('runs the edited code when a source changed since the build, and reads the package.json beside it', async () => {
    // Prepare
    expect(floe(copy, '--version').status).toBe(0);
    await edit(join(copy, 'cli', 'floe.ts'), TAGLINE, 'an edited tagline');
    await edit(join(copy, 'package.json'), '"version": "0.1.0"', '"version": "9.9.9-copy"');

    // Act
    const help = floe(copy, '--help');
    const version = floe(copy, '--version');

    // Assess
    expect(help.stdout).toContain('an edited tagline');
    expect(version.stdout).toBe('floe 9.9.9-copy\n');
    expect(help.stderr + version.stderr).toBe('');
  });

  it('runs modules in the order they import each other, as tsx does: snowflake-sdk loads after floe turns its cloud probes off', async () => {
    // Prepare: a probe that tells what the variable was when snowflake-sdk's first file ran; the
    // variable unset, as a user runs floe (the tests' environment sets it).
    const probe = join(copy, 'probe.cjs');
    await writeFile(probe, [
      "const Module = require('node:module'); const compile = Module.prototype._compile; let told = false;",
      'Module.prototype._compile = function (content, filename) {',
      "  if (!told && filename.includes('/snowflake-sdk/')) { told = true; process.stderr.write(`snowflake-sdk loads with ${process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION}\\n`); }",
      '  return compile.call(this, content, filename);',
      '};',
    ].join('\n'));
    const configFile = join(copy, 'floe.config.yaml');
    await writeFile(configFile, [
      'warehouse: duckdb://./warehouse.duckdb', 'sources:', '  - name: shop', '    engine: postgres',
      '    connection: postgresql://nobody@127.0.0.1:1/shop', '    tables:', '      - name: public.orders', '        primaryKey: [id]', '',
    ].join('\n'));
    const { SNOWFLAKE_DISABLE_PLATFORM_DETECTION: _unset, ...env } = process.env;

    // Act
    const done = spawnSync(process.execPath, ['--require', probe, join(copy, 'bin', 'floe.js'), 'snowflake', 'ddl', '--config', configFile], { cwd: copy, env, encoding: 'utf8' });

    // Assess
    expect(done.stderr).toMatch(/^snowflake-sdk loads with true\n/);
  });

  it('builds again when the build build.json names is gone', async () => {
    // Prepare
    expect(floe(copy, '--version').status).toBe(0);
    const { dir } = JSON.parse(await readFile(join(copy, 'dist', 'cli-build', 'build.json'), 'utf8')) as { dir: string };
    await rm(join(copy, 'dist', 'cli-build', dir), { recursive: true });

    // Act
    const done = floe(copy, '--version');

    // Assess
    expect(done.status).toBe(0);
    expect(done.stdout).toBe('floe 0.1.0\n');
    expect(done.stderr).toBe('');
  });

  it('two floe processes starting together on stale sources each build and run', async () => {
    // Prepare
    await edit(join(copy, 'cli', 'floe.ts'), TAGLINE, 'built twice at once');

    // Act
    const both = await Promise.all([floeAsync(copy, '--help'), floeAsync(copy, '--help')]);

    // Assess
    for (const done of both) {
      expect(done.status).toBe(0);
      expect(done.stdout).toContain('built twice at once');
    }
    expect((await readdir(join(copy, 'dist', 'cli-build'))).filter((name) => name.startsWith('.tmp-'))).toEqual([]);
  });

  it('starts through tsx, saying why, when the build cannot be made', async () => {
    // Prepare: the build refuses import.meta.dirname, which would name dist/cli-build/ once bundled.
    await edit(join(copy, 'cli', 'floe.ts'), 'const HELP_FLAGS', 'export const here = import.meta.dirname;\nconst HELP_FLAGS');

    // Act
    const done = floe(copy, '--version');

    // Assess
    expect(done.status).toBe(0);
    expect(done.stdout).toBe('floe 0.1.0\n');
    expect(done.stderr).toMatch(/^floe: starting through tsx: the compiled CLI could not be built \(cli\/floe\.ts:\d+: import\.meta\.dirname and \.filename would name dist\/cli-build\/ once built: use fileURLToPath\(import\.meta\.url\)/);
  });
});
