import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { repoRoot } from '../state/helpers.js';

/** The `floe` command as `npm ci` links it (node_modules/.bin/floe), run from another folder. */
function floe(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(join(repoRoot, 'node_modules', '.bin', 'floe'), args, { cwd: tmpdir(), encoding: 'utf8' });
}

describe('CLI: the floe command', () => {
  it('is installed with the project and runs from any folder: floe --version prints the package version', () => {
    // Prepare
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

    // Act
    const done = floe('--version');

    // Assess
    expect(done.status).toBe(0);
    expect(done.stdout).toBe(`floe ${version}\n`);
  });

  it('floe --help lists every command; floe <command> --help shows its usage and purpose', () => {
    // Act
    const help = floe('--help');
    const runHelp = floe('run', '--help');

    // Assess
    expect(help.status).toBe(0);
    for (const command of ['run', 'status', 'logs', 'discover', 'replay', 'push', 'unlock', 'check', 'snowflake']) expect(help.stdout).toContain(`floe ${command}`);
    expect(runHelp.status).toBe(0);
    expect(runHelp.stdout).toMatch(/^usage:\n {2}floe run \[--config floe\.config\.yaml\].*\n\nRuns the choreography/);
  });

  it('an unknown command exits 2 naming it, with the usage', () => {
    // Act
    const done = floe('rnu');

    // Assess
    expect(done.status).toBe(2);
    expect(done.stderr).toMatch(/^floe: unknown command "rnu"\nusage:/);
  });
});
