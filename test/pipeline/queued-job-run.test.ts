import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { GlueJobStateChangeEvent } from '../../events/index.js';
import { LocalGlueRunner } from '../../runtime/local/glue-runner.js';
import { SourceGate } from '../../runtime/local/source-gate.js';
import { LocalStateStore } from '../../state/index.js';
import { LocalRawStorage } from '../../storage/local.js';

const NOW = new Date().toISOString();

/**
 * Issue 20: a table waiting for its source's connections shows as `queued` in `floe status`. The
 * local job runner marks the runs of a job run its source gate holds back, and clears the mark
 * when the job run starts. The job here is the real extraction script, given a source it cannot
 * reach: it fails at once, which is all the test needs of it.
 */
describe('Runtime: a local job run held back by its source\'s connections', () => {
  it('marks each run of its batch queued while it waits, and clears the mark when it starts', async () => {
    // Prepare: clr has 1 connection, held by another job run; a batch of two runs asks to start
    const folder = await mkdtemp(join(tmpdir(), 'floe-queued-'));
    const state = new LocalStateStore(join(folder, 'state'));
    const gate = new SourceGate({ state, limits: new Map([['clr', 1]]) });
    for (const runId of ['r-q1', 'r-q2']) await state.startRun({ runId, source: 'clr', table: `clr.${runId}`, mode: 'full', requestedAt: NOW });
    const other = await gate.take('clr', 'jr_other', { want: 1 });
    let ended!: (event: GlueJobStateChangeEvent) => void;
    const end = new Promise<GlueJobStateChangeEvent>((resolve) => (ended = resolve));
    const raw = new LocalRawStorage(join(folder, 'raw'));
    const runner = new LocalGlueRunner({ gate, marks: { state, raw }, publish: async (event) => ended(event) });
    const batch = await raw.writeBatch('r-q1', {
      batchVersion: 1,
      tables: ['r-q1', 'r-q2'].map((runId) => ({ '--run-id': runId, '--table': `clr.${runId}`, '--mode': 'full' })),
    });

    // Act
    await runner.startJobRun({ '--database': 'clr', '--engine': 'postgres', '--connection': 'postgresql://postgres@127.0.0.1:1/none', '--raw-root': join(folder, 'raw'), '--batch': batch, '--max-connections': '1' });
    // The marks are written beside the wait (not before startJobRun returns): read once both are there, or at 10 s.
    let waiting = await Promise.all(['r-q1', 'r-q2'].map((runId) => state.getRun(runId)));
    for (const deadline = Date.now() + 10_000; waiting.some((run) => !run?.queued) && Date.now() < deadline;) {
      await new Promise((wake) => setTimeout(wake, 20));
      waiting = await Promise.all(['r-q1', 'r-q2'].map((runId) => state.getRun(runId)));
    }
    await other.release();
    const event = await end;
    await runner.idle();

    // Assess: both waited, saying why; the job run started (and ended) once the connection was free, and neither is queued now
    for (const run of waiting) {
      expect(run?.queued).toEqual({ since: expect.any(String), reason: 'source clr: its 1 connection(s) (maxConnections) are taken; the job run starts when enough are free' });
    }
    expect(event.detail.jobName).toBe('floe-extract');
    for (const runId of ['r-q1', 'r-q2']) expect((await state.getRun(runId))?.queued).toBeNull();
  }, 60_000);

  it('marks nothing when the source has a connection free', async () => {
    // Prepare
    const folder = await mkdtemp(join(tmpdir(), 'floe-queued-'));
    const state = new LocalStateStore(join(folder, 'state'));
    const gate = new SourceGate({ state, limits: new Map([['clr', 1]]) });
    await state.startRun({ runId: 'r-free', source: 'clr', table: 'clr.free', mode: 'full', requestedAt: NOW });
    const runner = new LocalGlueRunner({ gate, marks: { state, raw: new LocalRawStorage(join(folder, 'raw')) }, publish: async () => undefined });

    // Act
    await runner.startJobRun({ '--database': 'clr', '--engine': 'postgres', '--connection': 'postgresql://postgres@127.0.0.1:1/none', '--raw-root': join(folder, 'raw'), '--run-id': 'r-free', '--table': 'clr.free', '--mode': 'full' });
    await runner.idle();

    // Assess
    expect((await state.getRun('r-free'))?.queued).toBeUndefined();
  }, 60_000);
});
