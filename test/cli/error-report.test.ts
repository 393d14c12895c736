import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { describeError, EXIT, exitCodeOf } from '../../cli/error-report.js';
import { ConfigError } from '../../config/index.js';
import { TableBusy } from '../../pipeline/lease.js';
import { WarehouseBusy } from '../../warehouse/warehouse-busy.js';
import { WarehouseError } from '../../warehouse/warehouse-error.js';
import { repoRoot } from '../state/helpers.js';

describe('CLI: errors a person sees', () => {
  it('prints a floe error as one line, and its stack only with FLOE_DEBUG=1', () => {
    // Prepare
    const error = new WarehouseError('Merging run r1 into staging.x failed: Conflict on tuple');

    // Act
    const plain = describeError(error, {});
    const debug = describeError(error, { FLOE_DEBUG: '1' });

    // Assess
    expect(plain).toBe('floe: Merging run r1 into staging.x failed: Conflict on tuple');
    expect(debug.split('\n')[0]).toBe(plain);
    expect(debug).toMatch(/\n\s+at /);
  });

  it('says an error floe did not foresee is unexpected, in one line with escaped text, and where to look', () => {
    // Act
    const line = describeError(new RangeError('index 7\u001b[2J out of range\n  at somewhere'), {});

    // Assess
    expect(line).toBe('floe: unexpected RangeError: index 7\\x1b[2J out of range (FLOE_DEBUG=1 shows where)');
  });

  it('exits 2 for config and argument errors, 3 when another run holds what floe needs, 1 otherwise', () => {
    expect(exitCodeOf(new ConfigError('floe.config.yaml: sources: expected an array'))).toBe(EXIT.usage);
    expect(exitCodeOf(new TableBusy('table busy: run r1 since …'))).toBe(EXIT.busy);
    expect(exitCodeOf(new WarehouseBusy('/p/floe.duckdb', { pid: 42, program: 'node' }))).toBe(EXIT.busy);
    expect(exitCodeOf(new Error('boom'))).toBe(EXIT.failed);
  });

  it('floe with a config file that does not exist prints one line and exits 2, no stack trace', () => {
    // Act
    const done = spawnSync(join(repoRoot, 'node_modules', '.bin', 'tsx'), [join(repoRoot, 'cli', 'floe.ts'), 'status', '--config', '/nonexistent/floe.config.yaml'], { encoding: 'utf8' });

    // Assess
    expect(done.status).toBe(2);
    expect(done.stderr.trim().split('\n')).toHaveLength(1);
    expect(done.stderr).toMatch(/^floe: .*\/nonexistent\/floe\.config\.yaml/);
  });
});
