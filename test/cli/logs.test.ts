import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

import { logsCommand } from '../../cli/logs.js';
import type { LocalStateStore } from '../../state/index.js';
import { startMoto } from '../moto.js';
import { captureOutput, tempProject, writeJobLog } from './helpers.js';

const at = (time: string): string => `2025-11-05T${time}.000Z`;
const context = { runId: 'r1', engine: 'postgres', database: 'clr', table: 'clr.users' };
/** The records the extraction job writes for a two-part incremental run. */
const JOB_RECORDS = [
  { ts: '2025-11-05T12:00:01.120+00:00', level: 'info', event: 'start', ...context, source: 'postgres://floe@db.internal:5432/clr', mode: 'incremental', watermark: null },
  { ts: '2025-11-05T12:00:01.180+00:00', level: 'info', event: 'plan', ...context, window: { column: 'updated_at', from: null, to: '2025-11-05 12:00:00.000000+00:00' }, parts: [{ part: 0, where: 'TRUE', params: [] }] },
  { ts: '2025-11-05T12:02:39.900+00:00', level: 'info', event: 'part', ...context, part: 0, rows: 1523, files: 1, seconds: 158.7 },
  { ts: '2025-11-05T12:02:40.010+00:00', level: 'info', event: 'finish', ...context, rows: 1523, files: 1, newWatermark: '2025-11-05 12:00:00.000000+00:00' },
];
const LOG_PATH = '_logs/postgres/clr/clr.users/2025-11-05/r1.jsonl';

/** Run r1 of clr/clr.users: extracted, loaded and merged, succeeded at 12:03:10. */
async function recordRun(store: LocalStateStore, clock: { time: string }): Promise<void> {
  await store.startRun({ runId: 'r1', source: 'clr', table: 'clr.users', mode: 'incremental', requestedAt: at('12:00:00') });
  await store.acquireLease('clr', 'clr.users', 'r1', new Date(at('12:00:00')), 60_000);
  await store.recordStep('r1', { name: 'start-ingest', startedAt: at('12:00:00'), finishedAt: at('12:00:01') });
  await store.recordStep('r1', { name: 'extract', startedAt: '2025-11-05T12:00:01.120000+00:00', finishedAt: '2025-11-05T12:02:40.010000+00:00', rows: 1523 });
  await store.recordStep('r1', { name: 'load-and-merge', startedAt: at('12:02:41'), finishedAt: at('12:03:09'), rows: 1523, details: { inserted: 1200, updated: 323 } });
  await store.commitWatermark('clr', 'clr.users', 'r1', '2025-11-05 12:00:00.000000+00:00');
  clock.time = '12:03:10';
  await store.finishRun('r1', 'succeeded');
}

async function projectWithRun(raw?: string) {
  const clock = { time: '12:00:00' };
  const project = await tempProject({ now: () => new Date(at(clock.time)), ...(raw === undefined ? {} : { raw }) });
  await recordRun(project.store, clock);
  return { ...project, clock };
}

describe('CLI: floe logs', () => {
  it('prints the job log one record a line, then the run and its steps', async () => {
    // Prepare
    const { folder, configFile } = await projectWithRun();
    const file = await writeJobLog(folder, LOG_PATH, JOB_RECORDS);

    // Act
    const { code, stdout, stderr } = await captureOutput(() => logsCommand(['r1', '--config', configFile]));

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.split('\n')).toEqual([
      `extraction log ${file}`,
      '2025-11-05T12:00:01.120+00:00 info start source=postgres://floe@db.internal:5432/clr mode=incremental watermark=null',
      '2025-11-05T12:00:01.180+00:00 info plan window={"column":"updated_at","from":null,"to":"2025-11-05 12:00:00.000000+00:00"} parts=[{"part":0,"where":"TRUE","params":[]}]',
      '2025-11-05T12:02:39.900+00:00 info part part=0 rows=1523 files=1 seconds=158.7',
      '2025-11-05T12:02:40.010+00:00 info finish rows=1523 files=1 newWatermark="2025-11-05 12:00:00.000000+00:00"',
      '',
      'run r1: clr/clr.users, incremental, succeeded at 2025-11-05 12:03:10Z',
      'step            started               finished              rows  error',
      'start-ingest    2025-11-05 12:00:00Z  2025-11-05 12:00:01Z  -',
      'extract         2025-11-05 12:00:01Z  2025-11-05 12:02:40Z  1523',
      'load-and-merge  2025-11-05 12:02:41Z  2025-11-05 12:03:09Z  1523',
      '',
    ]);
  });

  it('prints the log lines exactly as the job wrote them with --json, then one JSON line per step', async () => {
    // Prepare
    const { folder, configFile } = await projectWithRun();
    const file = await writeJobLog(folder, LOG_PATH, JOB_RECORDS);

    // Act
    const { code, stdout } = await captureOutput(() => logsCommand(['--json', 'r1', '--config', configFile]));

    // Assess
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.slice(0, 4).join('\n')).toBe((await readFile(file, 'utf8')).trimEnd());
    expect(lines.slice(4).map((line) => JSON.parse(line) as unknown)).toEqual([
      { runId: 'r1', step: { name: 'start-ingest', startedAt: at('12:00:00'), finishedAt: at('12:00:01') } },
      { runId: 'r1', step: { name: 'extract', startedAt: '2025-11-05T12:00:01.120000+00:00', finishedAt: '2025-11-05T12:02:40.010000+00:00', rows: 1523 } },
      { runId: 'r1', step: { name: 'load-and-merge', startedAt: at('12:02:41'), finishedAt: at('12:03:09'), rows: 1523, details: { inserted: 1200, updated: 323 } } },
    ]);
  });

  it('exits 2 naming the state folder and pointing to floe status when the run id is unknown', async () => {
    // Prepare
    const { folder, configFile } = await projectWithRun();

    // Act
    const { code, stdout, stderr } = await captureOutput(() => logsCommand(['r9', '--config', configFile]));

    // Assess
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`floe: no run r9 in ${join(folder, 'state')}; \`floe status\` shows each table's last run id\n`);
  });

  it('says there is no job log and still prints the steps of a run that failed before the job', async () => {
    // Prepare
    const { folder, configFile, store, clock } = await projectWithRun();
    clock.time = '13:00:00';
    await store.startRun({ runId: 'r2', source: 'clr', table: 'clr.users', mode: 'incremental', requestedAt: at('13:00:00') });
    const error = { name: 'SourceError', message: 'clr/clr.users: lease held by r1', retryable: true };
    await store.recordStep('r2', { name: 'start-ingest', startedAt: at('13:00:00'), finishedAt: at('13:00:00'), error });
    await store.finishRun('r2', 'failed', error);

    // Act
    const { code, stdout, stderr } = await captureOutput(() => logsCommand(['r2', '--config', configFile]));

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe(
      `floe: no extraction log for run r2 under ${join(folder, 'raw')}/_logs/*/clr/clr.users/ ` +
        "(the job writes it when it ends, so a run still extracting or one that never reached the job has none); the run's steps follow\n",
    );
    expect(stdout.split('\n')).toEqual([
      'run r2: clr/clr.users, incremental, failed at 2025-11-05 13:00:00Z',
      'error SourceError: clr/clr.users: lease held by r1',
      'step          started               finished              rows  error',
      'start-ingest  2025-11-05 13:00:00Z  2025-11-05 13:00:00Z  -     SourceError: clr/clr.users: lease held by r1',
      '',
    ]);
  });

  it('reads the job log from an S3 raw root (moto), with the usual AWS SDK settings', async () => {
    // Prepare: the log where the job writes it under s3://floe-raw/raw, and another run's log beside it
    const moto = await startMoto();
    const saved = { ...process.env };
    try {
      Object.assign(process.env, {
        AWS_ENDPOINT_URL: moto.config.endpoint, AWS_REGION: moto.config.region, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing',
      });
      const s3 = new S3Client({ ...moto.config, forcePathStyle: true });
      await s3.send(new CreateBucketCommand({ Bucket: 'floe-raw' }));
      const body = JOB_RECORDS.map((record) => JSON.stringify(record)).join('\n');
      await s3.send(new PutObjectCommand({ Bucket: 'floe-raw', Key: `raw/${LOG_PATH}`, Body: body }));
      await s3.send(new PutObjectCommand({ Bucket: 'floe-raw', Key: `raw/${LOG_PATH.replace('r1.jsonl', 'r10.jsonl')}`, Body: '{"event":"other"}' }));
      const { configFile } = await projectWithRun('s3://floe-raw/raw');

      // Act
      const { code, stdout, stderr } = await captureOutput(() => logsCommand(['r1', '--config', configFile]));

      // Assess
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout.split('\n').slice(0, 3)).toEqual([
        `extraction log s3://floe-raw/raw/${LOG_PATH}`,
        '2025-11-05T12:00:01.120+00:00 info start source=postgres://floe@db.internal:5432/clr mode=incremental watermark=null',
        '2025-11-05T12:00:01.180+00:00 info plan window={"column":"updated_at","from":null,"to":"2025-11-05 12:00:00.000000+00:00"} parts=[{"part":0,"where":"TRUE","params":[]}]',
      ]);
      expect(stdout).not.toContain('other');
      expect(stdout).toContain('run r1: clr/clr.users, incremental, succeeded at 2025-11-05 12:03:10Z');
    } finally {
      for (const name of ['AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
      await moto.stop();
    }
  });
});
