import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

import { parseEvent } from '../../events/index.js';
import { DynamoDbBatchStore } from '../../functions/request-ingest/batch-store.js';
import { createRequestIngest } from '../../functions/request-ingest/handler.js';
import { MAX_ROWS_PER_CALL, MAX_RUNS_PER_CALL } from '../../functions/request-ingest/limits.js';
import type { ProxyRequest } from '../../functions/request-ingest/wire-format.js';
import { createTables, idempotencyTableDefinition } from '../../state/dynamodb.js';
import { LocalStateStore } from '../../state/index.js';
import { startMoto, type MotoServer } from '../moto.js';

const BATCH = '01b2c3d4-0000-1111-2222-333344445555';

interface Published {
  detailType: string;
  detail: Record<string, unknown>;
}

let moto: MotoServer;
let dynamodb: DynamoDBClient;
let tables = 0;

beforeAll(async () => {
  moto = await startMoto();
  dynamodb = new DynamoDBClient(moto.config);
});

afterAll(async () => {
  dynamodb?.destroy();
  await moto?.stop();
});

/** Batches are kept where the Lambda keeps them: an idempotency table, on moto, one per test. */
async function freshBatchStore(): Promise<DynamoDbBatchStore> {
  const name = `floe-request-ingest-${(tables += 1)}`;
  await createTables(dynamodb, [idempotencyTableDefinition(name)]);
  return new DynamoDbBatchStore(dynamodb, name);
}

interface Setup {
  state: LocalStateStore;
  batches: DynamoDbBatchStore;
  published: Published[];
  handle: ReturnType<typeof createRequestIngest>;
}

async function setup(): Promise<Setup> {
  const batches = await freshBatchStore();
  const folder = await mkdtemp(join(tmpdir(), 'floe-request-ingest-'));
  const state = new LocalStateStore(join(folder, 'state'));
  await state.putTableConfigs(['clr.users', 'clr.coupons', 'clr.orders', 'clr.items'].map((table) => ({
    source: 'clr', table, engine: 'postgres' as const, primaryKey: ['id'], mode: 'incremental' as const,
    incrementalColumn: 'updated_at', partitions: 1, lookbackSeconds: 0,
  })));
  const published: Published[] = [];
  const publisher = {
    async publish(detailType: string, detail: object): Promise<void> {
      // The contract the bus enforces, so a bad detail fails here as it would on EventBridge.
      parseEvent({
        version: '0', id: 'x', 'detail-type': detailType, source: 'floe.pipeline', account: '', time: new Date().toISOString(),
        region: '', resources: [], detail,
      });
      published.push({ detailType, detail: detail as Record<string, unknown> });
    },
  };
  return { state, batches, published, handle: createRequestIngest({ state, publisher, batches }) };
}

/**
 * The request API Gateway's proxy integration passes on for a Snowflake external function call:
 * one batch of a query (by default each batch its own query).
 */
function snowflakeRequest(rows: unknown[], batchId = BATCH, queryId = `query-of-${batchId}`): ProxyRequest {
  return {
    httpMethod: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'sf-external-function-format': 'json',
      'sf-external-function-format-version': '1.0',
      'sf-external-function-query-batch-id': batchId,
      'sf-external-function-current-query-id': queryId,
    },
    body: JSON.stringify({ data: rows }),
  };
}

/** Snowflake's poll after a 202: a GET with the same headers and no body. */
function snowflakePoll(batchId = BATCH): ProxyRequest {
  const { headers = null } = snowflakeRequest([], batchId);
  return { httpMethod: 'GET', headers };
}

/** What start-ingest does with each IngestRequested: it records the run. */
async function recordRuns(state: LocalStateStore, published: Published[]): Promise<void> {
  for (const { detail } of published) {
    await state.startRun({
      runId: detail['runId'] as string, source: detail['source'] as string, table: detail['table'] as string,
      mode: 'incremental', requestedAt: detail['publishedAt'] as string,
    });
  }
}

function answer(response: { body: string }): [number, Record<string, unknown>][] {
  return (JSON.parse(response.body) as { data: [number, Record<string, unknown>][] }).data;
}

describe('Handler: request-ingest (Snowflake external function)', () => {
  it('answers every row in the order given and publishes one IngestRequested per table', async () => {
    // Prepare
    const { published, handle } = await setup();

    // Act
    const response = await handle(snowflakeRequest([
      [2, 'clr', ['clr.coupons'], { mode: 'full' }],
      [0, 'clr', ['clr.users', 'clr.orders'], null],
      [1, 'clr', ['clr.items'], {}],
    ]));

    // Assess
    expect(response.statusCode).toBe(200);
    const data = answer(response);
    expect(data.map(([row]) => row)).toEqual([2, 0, 1]);
    expect(data.map(([, result]) => (result['runs'] as { table: string }[]).map((run) => run.table))).toEqual([
      ['clr.coupons'], ['clr.users', 'clr.orders'], ['clr.items'],
    ]);
    expect(published.map((p) => [p.detailType, p.detail['table']])).toEqual([
      ['IngestRequested', 'clr.coupons'], ['IngestRequested', 'clr.users'], ['IngestRequested', 'clr.orders'], ['IngestRequested', 'clr.items'],
    ]);
    expect(published[0]?.detail).toMatchObject({ source: 'clr', mode: 'full', requestId: `${BATCH}:2:clr.coupons` });
    expect(published[1]?.detail).toMatchObject({ requestId: `${BATCH}:0:clr.users` });
    expect(published[1]?.detail['mode']).toBeUndefined();
    const answeredRunIds = data.flatMap(([, result]) => (result['runs'] as { runId: string }[]).map((run) => run.runId));
    expect(published.map((p) => p.detail['runId'])).toEqual(answeredRunIds);
    expect(new Set(answeredRunIds).size).toBe(4);
  });

  it('publishes nothing again when Snowflake retries the same batch id, even before start-ingest ran', async () => {
    // Prepare: the first call
    const { batches, published, handle } = await setup();
    const rows = [[0, 'clr', ['clr.users'], null], [1, 'clr', ['clr.coupons'], null]];
    const first = await handle(snowflakeRequest(rows));
    const publishedFirst = published.length;

    // Act
    const retry = await handle(snowflakeRequest(rows));
    const otherBatch = await handle(snowflakeRequest(rows, 'another-batch', 'another-query'));

    // Assess: the batch is recorded with its published runs; the retry answers the same run ids and
    // publishes nothing; another query is a new request
    expect(publishedFirst).toBe(2);
    expect((await batches.get(BATCH))?.published.sort()).toEqual(published.slice(0, 2).map((p) => p.detail['runId']).sort());
    expect(retry.statusCode).toBe(200);
    expect(answer(retry)).toEqual(answer(first));
    expect(published).toHaveLength(4);
    expect(answer(otherBatch)).not.toEqual(answer(first));
  });

  it('publishes on the retry what a failed call recorded but could not publish', async () => {
    // Prepare: a bus that refuses the first event
    const { state, batches, published } = await setup();
    let refuse = true;
    const handle = createRequestIngest({
      state,
      batches,
      publisher: {
        async publish(detailType, detail) {
          if (refuse) {
            refuse = false;
            throw new Error('EventBridge throttled the request');
          }
          published.push({ detailType, detail: detail as Record<string, unknown> });
        },
      },
    });
    const rows = [[0, 'clr', ['clr.users'], null]];

    // Act
    const failed = handle(snowflakeRequest(rows));
    await expect(failed).rejects.toThrow(/throttled/);
    const retry = await handle(snowflakeRequest(rows));

    // Assess: the retry published the request once, for the run the first call recorded
    const [[, result]] = answer(retry) as [[number, { runs: { runId: string }[] }]];
    expect(published.map((p) => p.detail['runId'])).toEqual([result.runs[0]?.runId]);
    expect((await batches.get(BATCH))?.published).toEqual([result.runs[0]?.runId]);
  });

  it('requests every configured table of the source for "*" or null', async () => {
    // Prepare
    const { published, handle } = await setup();

    // Act: two queries
    const star = await handle(snowflakeRequest([[0, 'clr', '*', { mode: 'full' }]], 'batch-star'));
    const nulls = await handle(snowflakeRequest([[0, 'clr', null, null]], 'batch-null'));

    // Assess
    const tablesOf = (response: { body: string }) => answer(response).map(([, result]) => (result['runs'] as { table: string }[]).map((run) => run.table));
    const all = ['clr.coupons', 'clr.items', 'clr.orders', 'clr.users'];
    expect(tablesOf(star)).toEqual([all]);
    expect(tablesOf(nulls)).toEqual([all]);
    expect(published.map((p) => [p.detail['table'], p.detail['mode']])).toEqual([
      ...all.map((table) => [table, 'full']), ...all.map((table) => [table, undefined]),
    ]);
  });

  it('answers a bad row with an error and still requests the other rows', async () => {
    // Prepare
    const { published, handle } = await setup();

    // Act
    const response = await handle(snowflakeRequest([
      [0, 'clr', ['clr.users'], null],
      [1, 'clr', ['clr.users', 'clr.nope'], null],
      [2, 'nosuchsource', ['clr.users'], null],
      [3, 'clr', ['clr.coupons'], { mode: 'sometimes' }],
      [4, 'nosuchsource', '*', null],
      [5, 'clr', ['clr.coupons'], null],
    ]));

    // Assess
    expect(response.statusCode).toBe(200);
    const data = answer(response);
    expect(data.map(([row]) => row)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(data[0]?.[1]).toHaveProperty('runs');
    expect(data[1]?.[1]['error']).toMatch(/clr\.nope/);
    expect(data[2]?.[1]['error']).toMatch(/nosuchsource/);
    expect(data[3]?.[1]['error']).toMatch(/options\.mode/);
    expect(data[4]?.[1]['error']).toMatch(/source nosuchsource has no configured tables/);
    expect(data[5]?.[1]).toHaveProperty('runs');
    expect(published.map((p) => p.detail['requestId'])).toEqual([`${BATCH}:0:clr.users`, `${BATCH}:5:clr.coupons`]);
  });

  it('answers 202 while a waited-for run is in progress, and a poll 200 with the outcomes once it finished', async () => {
    // Prepare
    const { state, published, handle } = await setup();
    const rows = [[0, 'clr', ['clr.users', 'clr.coupons'], { wait: true }]];

    // Act + Assess: requested, then Snowflake polls while start-ingest records and runs them
    const requested = await handle(snowflakeRequest(rows));
    expect(requested.statusCode).toBe(202);
    expect((answer(requested)[0]?.[1]['runs'] as { status: string }[]).map((run) => run.status)).toEqual(['requested', 'requested']);
    await recordRuns(state, published);
    const running = await handle(snowflakePoll());
    expect(running.statusCode).toBe(202);
    expect((answer(running)[0]?.[1]['runs'] as { status: string }[]).map((run) => run.status)).toEqual(['running', 'running']);

    const [users, coupons] = published.map((p) => p.detail['runId'] as string);
    await state.updateRun(users!, { rowsExtracted: 42 });
    await state.finishRun(users!, 'succeeded');
    const oneLeft = await handle(snowflakePoll());
    expect(oneLeft.statusCode).toBe(202);

    await state.finishRun(coupons!, 'failed', { name: 'ExtractError', message: 'connection refused', retryable: true });
    const done = await handle(snowflakePoll());

    expect(done.statusCode).toBe(200);
    expect(answer(done)).toEqual([[0, {
      runs: [
        { table: 'clr.users', runId: users, status: 'succeeded', rowsExtracted: 42 },
        { table: 'clr.coupons', runId: coupons, status: 'failed', error: 'ExtractError: connection refused' },
      ],
    }]]);
    expect(published).toHaveLength(2);
  });

  it('answers a poll of a batch it never saw with 404', async () => {
    // Prepare
    const { published, handle } = await setup();

    // Act
    const response = await handle(snowflakePoll('never-requested'));

    // Assess
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body)).toEqual({ error: expect.stringContaining('batch never-requested is unknown') });
    expect(published).toHaveLength(0);
  });

  it('answers 400 with a clear message for a malformed request', async () => {
    // Prepare
    const { published, handle } = await setup();
    const headers = snowflakeRequest([]).headers ?? {};

    // Act
    const cases = await Promise.all([
      handle({ headers, body: 'not json' }),
      handle({ headers, body: JSON.stringify({ rows: [] }) }),
      handle({ headers, body: JSON.stringify({ data: [['zero', 'clr', ['clr.users'], null]] }) }),
      handle({ headers, body: JSON.stringify({ data: ['row'] }) }),
      handle({ headers, body: null }),
      handle({ headers: {}, body: JSON.stringify({ data: [[0, 'clr', ['clr.users'], null]] }) }),
    ]);

    // Assess
    expect(cases.map((response) => response.statusCode)).toEqual([400, 400, 400, 400, 400, 400]);
    const messages = cases.map((response) => (JSON.parse(response.body) as { error: string }).error);
    expect(messages[0]).toMatch(/not valid JSON/);
    expect(messages[1]).toMatch(/"data"/);
    expect(messages[2]).toMatch(/row number/);
    expect(messages[3]).toMatch(/data\[0\] must be an array/);
    expect(messages[4]).toMatch(/empty body/);
    expect(messages[5]).toMatch(/sf-external-function-query-batch-id/);
    expect(published).toHaveLength(0);
  });
});

/** Table configs of `source`, named `<source>.t<n>`, as `floe push` stores them. */
async function configureTables(state: LocalStateStore, source: string, count: number): Promise<void> {
  await state.putTableConfigs(Array.from({ length: count }, (_, n) => ({
    source, table: `${source}.t${n}`, engine: 'postgres' as const, primaryKey: ['id'], mode: 'incremental' as const,
    incrementalColumn: 'updated_at', partitions: 1, lookbackSeconds: 0,
  })));
}

/** The state store, counting what request-ingest reads from it. */
function countingReads(state: LocalStateStore): { state: LocalStateStore; reads: () => number } {
  let reads = 0;
  const counted = new Proxy(state, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || !/^(get|list)/.test(String(property))) return value;
      return (...args: unknown[]) => {
        reads += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { state: counted, reads: () => reads };
}

describe('Handler: request-ingest caps per call', () => {
  it(`refuses a call of more than ${MAX_ROWS_PER_CALL} rows, every row naming the cap, before reading anything`, async () => {
    // Prepare
    const { state, batches, published } = await setup();
    const counted = countingReads(state);
    const publisher = { publish: async (detailType: string, detail: object) => { published.push({ detailType, detail: detail as Record<string, unknown> }); } };
    const handle = createRequestIngest({ state: counted.state, publisher, batches });
    const rows = Array.from({ length: MAX_ROWS_PER_CALL + 1 }, (_, n) => [n, 'clr', ['clr.users'], null]);

    // Act
    const response = await handle(snowflakeRequest(rows));

    // Assess: Snowflake's format, one error per row; nothing requested, no table read
    expect(response.statusCode).toBe(200);
    const data = answer(response);
    expect(data).toHaveLength(MAX_ROWS_PER_CALL + 1);
    expect(new Set(data.map(([, result]) => result['error']))).toEqual(new Set([
      `this call of FLOE_INGEST holds 101 rows and floe takes at most 100 per call (MAX_ROWS_PER_CALL), so nothing was requested: ` +
      'create the function with MAX_BATCH_ROWS = 100, or call it over fewer rows',
    ]));
    expect(published).toEqual([]);
    expect(counted.reads()).toBe(0);
  });

  it(`refuses a call naming more than ${MAX_RUNS_PER_CALL} tables before reading any of them`, async () => {
    // Prepare
    const { state, batches, published } = await setup();
    const counted = countingReads(state);
    const handle = createRequestIngest({ state: counted.state, publisher: { publish: async () => { published.push({ detailType: 'x', detail: {} }); } }, batches });
    const tables = Array.from({ length: MAX_RUNS_PER_CALL + 1 }, (_, n) => `clr.t${n}`);

    // Act
    const response = await handle(snowflakeRequest([[0, 'clr', tables, null]]));

    // Assess
    expect(answer(response)).toEqual([[0, { error: expect.stringContaining('asks for 101 table runs and floe starts at most 100 per call (MAX_RUNS_PER_CALL)') }]]);
    expect(published).toEqual([]);
    expect(counted.reads()).toBe(0);
  });

  it("counts tables × rows once '*' is expanded, and refuses the call over the cap", async () => {
    // Prepare: 60 tables asked in two modes are 120 runs
    const { state, published, handle } = await setup();
    await configureTables(state, 'big', 60);

    // Act
    const response = await handle(snowflakeRequest([[0, 'big', '*', { mode: 'full' }], [1, 'big', '*', { mode: 'incremental' }]]));

    // Assess
    const data = answer(response);
    expect(data.map(([row, result]) => [row, result['error']])).toEqual([0, 1].map((row) => [row, expect.stringContaining('asks for 120 table runs')]));
    expect(published).toEqual([]);
  });

  it("publishes one IngestRequested per table however many rows of the call ask for it with '*'", async () => {
    // Prepare: the query that used to publish rows × tables events
    const { state, published, handle } = await setup();
    await configureTables(state, 'big', 60);
    const rows = Array.from({ length: MAX_ROWS_PER_CALL }, (_, n) => [n, 'big', '*', null]);

    // Act
    const response = await handle(snowflakeRequest(rows));

    // Assess: 60 events, and every row answers the same 60 runs
    expect(published).toHaveLength(60);
    expect(new Set(published.map((p) => p.detail['table'])).size).toBe(60);
    const runIdsOf = ([, result]: [number, Record<string, unknown>]) => (result['runs'] as { runId: string }[]).map((run) => run.runId);
    const data = answer(response);
    expect(new Set(data.map((row) => JSON.stringify(runIdsOf(row)))).size).toBe(1);
    expect(runIdsOf(data[0]!)).toEqual(published.map((p) => p.detail['runId']));
  });
});

describe('Handler: request-ingest busy tables', () => {
  it('answers a table another live run holds as busy, with the holder, and requests the others', async () => {
    // Prepare: a scheduled run holds clr.users; a dead one's lease on clr.coupons has expired
    const { state, published, handle } = await setup();
    const since = new Date();
    await state.acquireLease('clr', 'clr.users', 'r-scheduled-1', since, 60 * 60 * 1000);
    await state.acquireLease('clr', 'clr.coupons', 'r-dead-1', new Date(since.getTime() - 2 * 60 * 60 * 1000), 60 * 60 * 1000);

    // Act
    const response = await handle(snowflakeRequest([[0, 'clr', ['clr.users', 'clr.coupons'], { wait: true }], [1, 'clr', ['clr.users'], null]]));

    // Assess: one outcome in the answer, no IngestRequested (so no IngestFailed, no alarm) for the busy table
    expect(published.map((p) => p.detail['table'])).toEqual(['clr.coupons']);
    const busy = {
      table: 'clr.users', status: 'busy', heldBy: 'r-scheduled-1', since: since.toISOString(),
      error: `table busy: run r-scheduled-1 has held it since ${since.toISOString()}; nothing was requested for this table, ask again once that run has ended`,
    };
    expect(answer(response)).toEqual([
      [0, { runs: [busy, { table: 'clr.coupons', runId: published[0]?.detail['runId'], status: 'requested' }] }],
      [1, { runs: [busy] }],
    ]);
    expect(response.statusCode).toBe(202);
  });

  it('answers a table asked in a second mode by the same call as busy with the first mode’s run', async () => {
    // Prepare
    const { published, handle } = await setup();

    // Act
    const response = await handle(snowflakeRequest([[0, 'clr', ['clr.users'], { mode: 'full' }], [1, 'clr', ['clr.users'], { mode: 'incremental' }]]));

    // Assess
    expect(published.map((p) => [p.detail['table'], p.detail['mode']])).toEqual([['clr.users', 'full']]);
    expect(answer(response)[1]).toEqual([1, { runs: [expect.objectContaining({ table: 'clr.users', status: 'busy', heldBy: published[0]?.detail['runId'] })] }]);
  });

  it('gives the batches of one query the same run per table, and another query its own', async () => {
    // Prepare: Snowflake splits one query into batches and sends them in parallel
    const { handle } = await setup();
    const rows = [[0, 'clr', ['clr.users'], null]];

    // Act
    const [first, second, other] = await Promise.all([
      handle(snowflakeRequest(rows, 'batch-a', 'query-1')),
      handle(snowflakeRequest(rows, 'batch-b', 'query-1')),
      handle(snowflakeRequest(rows, 'batch-c', 'query-2')),
    ]);

    // Assess: start-ingest starts one job per run id, so the query's copies start one run
    const runIdOf = (response: { body: string }) => (answer(response)[0]?.[1]['runs'] as { runId: string }[])[0]?.runId;
    expect(runIdOf(first)).toBe(runIdOf(second));
    expect(runIdOf(other)).not.toBe(runIdOf(first));
  });
});
