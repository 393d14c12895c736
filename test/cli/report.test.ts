import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { reportCommand } from '../../cli/report.js';
import { loadConfig, toTableConfigs } from '../../config/index.js';
import { captureOutput, SECRET, tempProject } from './helpers.js';

/** Debian's Chromium, which scripts/setup installs for this test. */
const CHROMIUM = '/usr/bin/chromium';
const HEADLESS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

const at = (time: string): Date => new Date(`2025-11-05T${time}.000Z`);

/** clr.users: a succeeded run with rejects and an added column, a failed run, and a CheckCompleted in the event log. */
async function projectWithRuns() {
  const clock = { time: '12:00:00' };
  const project = await tempProject({ now: () => at(clock.time) });
  const { store } = project;
  await store.putTableConfigs(toTableConfigs(await loadConfig(project.configFile)));
  await store.startRun({ runId: 'r1', source: 'clr', table: 'clr.users', mode: 'incremental', requestedAt: at('12:00:00').toISOString() });
  await store.updateRun('r1', {
    rowsExtracted: 1523, inserted: 1200, updated: 323, rejects: 2,
    schemaChanges: [{ column: 'nickname', change: 'added', to: { sourceType: 'text', arrowType: 'string' } }],
  });
  await store.commitWatermark('clr', 'clr.users', 'r1', '2025-11-05 12:00:00.000000+00:00');
  clock.time = '12:03:10';
  await store.finishRun('r1', 'succeeded');
  await store.startRun({ runId: 'r2', source: 'clr', table: 'clr.users', mode: 'incremental', requestedAt: at('13:00:00').toISOString() });
  clock.time = '13:00:40';
  await store.finishRun('r2', 'failed', { name: 'SourceUnavailableError', message: 'cannot connect to postgres://floe@db.internal:5432/clr: <refused>', retryable: true });
  const check = {
    version: '0', id: 'c1', 'detail-type': 'CheckCompleted', source: 'floe.pipeline', account: 'local', time: at('12:04:00').toISOString(), region: 'local', resources: [],
    detail: { runId: 'r1', source: 'clr', table: 'clr.users', publishedAt: at('12:04:00').toISOString(), status: 'drift', inSync: false, watermark: '2025-11-05 12:00:00.000000+00:00',
      missing: 1, extra: 0, different: 2, sampleKeys: { missing: [{ id: 7 }], extra: [], different: [{ id: 8 }, { id: 9 }] }, seconds: 1.5 },
  };
  await mkdir(join(project.folder, 'state'), { recursive: true });
  await writeFile(join(project.folder, 'state', 'events.jsonl'), `${JSON.stringify(check)}\n`);
  return project;
}

describe('CLI: floe report', () => {
  it('writes one self-contained page that Chromium renders with every run the state holds, and a screenshot of it', async () => {
    // Prepare
    const project = await projectWithRuns();
    const out = join(project.folder, 'report.html');

    // Act
    const { code, stdout } = await captureOutput(() => reportCommand(['--config', project.configFile, '--out', out], { now: () => at('14:00:00') }));
    const html = await readFile(out, 'utf8');
    const dom = execFileSync(CHROMIUM, [...HEADLESS, '--dump-dom', `file://${out}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const screenshot = join(project.folder, 'report.png');
    execFileSync(CHROMIUM, [...HEADLESS, `--screenshot=${screenshot}`, '--window-size=1200,1400', `file://${out}`], { stdio: 'ignore' });

    // Assess: the page as Chromium parsed it holds what the state holds
    expect(code).toBe(0);
    expect(stdout).toContain('2 table(s), 2 run(s)');
    const section = dom.slice(dom.indexOf('<section id="clr/clr.users"'), dom.indexOf('</section>', dom.indexOf('<section id="clr/clr.users"')));
    const rows = [...section.matchAll(/<tr data-run="(\w+)">(.*?)<\/tr>/gs)].map(([, runId, cells]) => ({
      runId,
      status: /data-field="status"[^>]*>([^<]*)</.exec(cells ?? '')?.[1],
      rows: /data-field="rows">([^<]*)</.exec(cells ?? '')?.[1],
      duration: /data-field="duration">([^<]*)</.exec(cells ?? '')?.[1],
      error: /data-field="error"[^>]*>([^<]*)</.exec(cells ?? '')?.[1],
    }));
    expect(rows).toEqual([
      { runId: 'r2', status: 'failed', rows: '-', duration: '40.0 s', error: 'SourceUnavailableError: cannot connect to postgres://floe@db.internal:5432/clr: &lt;refused&gt;' },
      { runId: 'r1', status: 'succeeded', rows: '1523', duration: '190.0 s', error: '' },
    ]);
    expect(section).toContain('2 rejects; nickname added (text)');
    expect(section).toMatch(/data-field="check">Last check \(run r1, .*\): drift: 1 missing, 0 extra, 2 different/);
    expect([...section.matchAll(/<rect data-run="(\w+)"/g)].map(([, runId]) => runId)).toEqual(['r1', 'r2']);
    expect(dom).toMatch(/<tr data-table="clr\/clr.coupons">.*never run/s);
    // Self-contained: nothing fetched, so it opens offline; no secret
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
    expect(html).not.toContain(SECRET);
    expect(existsSync(screenshot) && statSync(screenshot).size).toBeGreaterThan(10_000);
    process.stdout.write(`floe report screenshot: ${screenshot}\n`);
  }, 60_000);
});
