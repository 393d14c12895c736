import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { TableConfigSchema, type TableConfig } from '../config/table-config.js';
import { tableKey } from '../config/tables.js';
import { isConditionFailure, stateErrorFrom } from './dynamodb-errors.js';
import { fromItem, toAttribute, toItem, type Json } from './dynamodb-item.js';
import { RUNS_BY_JOB_RUN_ID, RUNS_BY_REQUESTED_AT, RUNS_BY_TABLE, type StateTableNames } from './dynamodb-tables.js';
import { StateError } from './errors.js';
import {
  NewRunSchema,
  RunErrorSchema,
  RunIdSchema,
  RunRecordSchema,
  RunStepSchema,
  RunUpdateSchema,
  SourceSlotsSchema,
  TableStateSchema,
  type LeaseResult,
  type NewRun,
  type RunError,
  type RunRecord,
  type RunStep,
  type RunUpdate,
  type SlotGrant,
  type SourceSlots,
  type TableState,
} from './items.js';
import { checkSlotRequest, grantSlots, releaseSlots } from './source-slots.js';
import type { ListRunsQuery, LoadCommit, StartRunOptions, StateStore } from './store.js';

export {
  createStateTables,
  createTables,
  DEFAULT_TABLE_PREFIX,
  idempotencyTableDefinition,
  stateTableDefinitions,
  stateTableNamesFor,
  type StateTableNames,
} from './dynamodb-tables.js';

export interface DynamoDbStateStoreOptions {
  /** Clock for `finishedAt` and commit times; default the system clock. */
  now?: () => Date;
  /** How many read-then-conditional-write rounds a contended mutation tries before giving up retryably (default 8). */
  maxAttempts?: number;
}

type Item = Record<string, AttributeValue>;
interface Write {
  update: string;
  condition?: string;
  values?: Record<string, AttributeValue>;
}

const NULL: AttributeValue = { NULL: true };
/** Attributes the runs table adds for its indexes (see `dynamodb-tables.ts`); not part of `RunRecord`. */
const RUN_INDEX_ATTRIBUTES = ['tableKey', 'listOrder', 'history'];
const emptyTableState = (source: string, table: string): TableState => ({ source, table, watermark: null, watermarkRunId: null, activeRun: null });

/**
 * {@link StateStore} on three DynamoDB tables (keys in `dynamodb-tables.ts`),
 * with the same items and rules as `LocalStateStore`.
 *
 * Every mutation that depends on what is stored reads it (strongly consistent),
 * decides as the local store does, and writes with a condition that holds only
 * if what it read is still true; a lost race reads again. The lease is one
 * conditional write: taken when no run holds it or the holder's lease expired,
 * renewed when the same run holds it. A source's connection slots are one item
 * with a version, replaced only if the version is still the one read. Writes
 * that touch a run and its table's state together are one transaction. Items
 * are validated with the zod schemas when read. Throttling, timeouts and 5xx
 * answers become retryable `StateError`s.
 */
export class DynamoDbStateStore implements StateStore {
  private readonly now: () => Date;
  private readonly maxAttempts: number;

  constructor(
    private readonly client: DynamoDBClient,
    readonly tables: StateTableNames,
    options: DynamoDbStateStoreOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.maxAttempts = options.maxAttempts ?? 8;
  }

  async putTableConfigs(configs: readonly TableConfig[]): Promise<void> {
    const items = configs.map((config) => TableConfigSchema.parse(config));
    await Promise.all(
      items.map((config) => {
        const pk = tableKey(config.source, config.table);
        return this.attempt(`put table config ${pk}`, () =>
          this.client.send(new PutItemCommand({ TableName: this.tables.tableConfig, Item: { ...toItem(config), pk: { S: pk } } })),
        );
      }),
    );
  }

  async getTableConfig(source: string, table: string): Promise<TableConfig | null> {
    const pk = tableKey(source, table);
    const item = await this.getItem(this.tables.tableConfig, { pk: { S: pk } }, `table config ${pk}`);
    return item === null ? null : this.parse(TableConfigSchema, item, ['pk'], `${this.tables.tableConfig} item ${pk}`);
  }

  /** A scan: table config holds one small item per configured table, read rarely (a whole-source request). */
  async listTableConfigs(source: string): Promise<TableConfig[]> {
    const configs: TableConfig[] = [];
    let start: Item | undefined;
    do {
      const page = await this.attempt(`list table configs of ${source}`, () =>
        this.client.send(new ScanCommand({
          TableName: this.tables.tableConfig,
          ConsistentRead: true,
          FilterExpression: '#source = :source',
          ExpressionAttributeNames: { '#source': 'source' },
          ExpressionAttributeValues: { ':source': { S: source } },
          ...(start ? { ExclusiveStartKey: start } : {}),
        })),
      );
      for (const item of page.Items ?? []) {
        configs.push(this.parse(TableConfigSchema, item, ['pk'], `${this.tables.tableConfig} item ${item['pk']?.S ?? '(no pk)'}`));
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return configs.sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
  }

  async getTableState(source: string, table: string): Promise<TableState> {
    const pk = tableKey(source, table);
    const item = await this.getItem(this.tables.runtime, { pk: { S: pk } }, `table state ${pk}`);
    return item === null ? emptyTableState(source, table) : this.parse(TableStateSchema, item, ['pk'], `${this.tables.runtime} item ${pk}`);
  }

  async acquireLease(source: string, table: string, runId: string, now: Date, ttlMs: number): Promise<LeaseResult> {
    RunIdSchema.parse(runId);
    if (!(ttlMs > 0)) throw new StateError(`lease ttl must be a positive number of milliseconds, got ${ttlMs}`, { retryable: false });
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
    return this.retryRaces(`lease of ${tableKey(source, table)} for run ${runId}`, async () => {
      const active = (await this.getTableState(source, table)).activeRun;
      if (active !== null && active.runId !== runId && Date.parse(active.expiresAt) > now.getTime()) {
        return { acquired: false, heldBy: active.runId, since: active.since, expiresAt: active.expiresAt };
      }
      if (active?.runId === runId) {
        await this.update(this.tables.runtime, runtimeKey(source, table), {
          update: 'SET #activeRun.#expiresAt = :expiresAt',
          condition: '#activeRun.#runId = :runId',
          values: { ':expiresAt': { S: expiresAt }, ':runId': { S: runId } },
        });
        return { acquired: true, since: active.since, expiresAt };
      }
      const since = now.toISOString();
      await this.update(this.tables.runtime, runtimeKey(source, table), {
        update: `SET ${runtimeDefaults('activeRun')}, #activeRun = :lease`,
        condition: 'attribute_not_exists(#activeRun) OR attribute_type(#activeRun, :nullType) OR #activeRun.#expiresAt <= :now',
        values: { ...runtimeValues(source, table), ':lease': toAttribute({ runId, since, expiresAt }), ':nullType': { S: 'NULL' }, ':now': { S: since } },
      });
      return { acquired: true, since, expiresAt };
    });
  }

  async releaseLease(source: string, table: string, runId: string): Promise<boolean> {
    try {
      await this.update(this.tables.runtime, runtimeKey(source, table), {
        update: 'SET #activeRun = :null',
        condition: '#activeRun.#runId = :runId',
        values: { ':null': NULL, ':runId': { S: runId } },
      });
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async commitWatermark(source: string, table: string, runId: string, watermark: string | null): Promise<{ committed: boolean }> {
    RunIdSchema.parse(runId);
    const key = tableKey(source, table);
    return this.retryRaces(`watermark commit of run ${runId} on ${key}`, async () => {
      const run = await this.getRun(runId);
      if (run !== null && (run.source !== source || run.table !== table)) {
        throw new StateError(`run ${runId} belongs to ${tableKey(run.source, run.table)}, not ${key}`, { retryable: false });
      }
      if (run?.watermarkCommittedAt !== undefined) return { committed: false };
      const setWatermark: Write = {
        update: `SET ${runtimeDefaults('watermark', 'watermarkRunId')}, #watermark = :watermark, #watermarkRunId = :runId`,
        values: { ...runtimeValues(source, table), ':watermark': toAttribute(watermark), ':runId': { S: runId } },
      };
      if (run === null) {
        if ((await this.getTableState(source, table)).watermarkRunId === runId) return { committed: false };
        await this.transact([
          conditionCheck(this.tables.runs, runKey(runId), 'attribute_not_exists(#runId)'),
          updateItem(this.tables.runtime, runtimeKey(source, table), {
            ...setWatermark,
            condition: 'attribute_not_exists(#watermarkRunId) OR attribute_type(#watermarkRunId, :nullType) OR #watermarkRunId <> :runId',
            values: { ...setWatermark.values, ':nullType': { S: 'NULL' } },
          }),
        ]);
      } else {
        await this.transact([
          updateItem(this.tables.runs, runKey(runId), {
            update: 'SET #watermarkCommittedAt = :at',
            condition: 'attribute_exists(#runId) AND attribute_not_exists(#watermarkCommittedAt)',
            values: { ':at': { S: this.now().toISOString() } },
          }),
          updateItem(this.tables.runtime, runtimeKey(source, table), setWatermark),
        ]);
      }
      return { committed: true };
    });
  }

  /**
   * Three writes, in the order load-and-merge made them before (watermark, facts and step, release):
   * each is a conditional write of its own, and a round trip here costs no fsync on this side.
   */
  async commitLoad(runId: string, commit: LoadCommit): Promise<{ committed: boolean; released: boolean }> {
    const run = await this.requireRun(runId);
    const committed = commit.watermark === undefined ? false : (await this.commitWatermark(run.source, run.table, runId, commit.watermark.value)).committed;
    await this.updateRun(runId, commit.update, commit.step);
    const released = commit.releaseLease ? await this.releaseLease(run.source, run.table, runId) : false;
    return { committed, released };
  }

  async startRun(run: NewRun, options: StartRunOptions = {}): Promise<RunRecord> {
    const item = NewRunSchema.parse(run);
    return this.retryRaces(`start of run ${item.runId}`, async () => {
      const existing = await this.getRun(item.runId);
      if (existing !== null) {
        if (existing.source !== item.source || existing.table !== item.table) {
          throw new StateError(`run ${item.runId} already exists for ${tableKey(existing.source, existing.table)}`, { retryable: false });
        }
        return existing;
      }
      const record: RunRecord = { ...item, status: 'running', steps: [] };
      const writes: TransactWriteItem[] = [
        { Put: { TableName: this.tables.runs, Item: runItem(record), ConditionExpression: 'attribute_not_exists(#runId)', ExpressionAttributeNames: { '#runId': 'runId' } } },
      ];
      const lastRun = (await this.getTableState(item.source, item.table)).lastRun;
      if (options.asLastRun !== false && (lastRun === undefined || Date.parse(lastRun.requestedAt) <= Date.parse(item.requestedAt))) {
        writes.push(
          updateItem(this.tables.runtime, runtimeKey(item.source, item.table), {
            update: `SET ${runtimeDefaults('lastRun')}, #lastRun = :summary`,
            condition: lastRun === undefined ? 'attribute_not_exists(#lastRun)' : '#lastRun.#runId = :previous',
            values: {
              ...runtimeValues(item.source, item.table),
              ':summary': toAttribute({ runId: item.runId, status: 'running', requestedAt: item.requestedAt }),
              ...(lastRun === undefined ? {} : { ':previous': { S: lastRun.runId } }),
            },
          }),
        );
      }
      await this.transact(writes);
      return record;
    });
  }

  async recordStep(runId: string, step: RunStep): Promise<void> {
    const item = RunStepSchema.parse(step);
    await this.retryRaces(`step ${item.name} of run ${runId}`, async () => {
      const run = await this.requireRun(runId);
      const index = run.steps.findIndex((existing) => existing.name === item.name);
      // Steps are only appended or replaced in place, so a step's position never changes:
      // an unchanged length proves the name is still absent, a name at an index proves it is there.
      await this.update(
        this.tables.runs,
        runKey(runId),
        index === -1
          ? {
              update: 'SET #steps = list_append(#steps, :step)',
              condition: 'attribute_exists(#runId) AND size(#steps) = :count',
              values: { ':step': toAttribute([item as Json]), ':count': { N: String(run.steps.length) } },
            }
          : { update: `SET #steps[${index}] = :step`, condition: `#steps[${index}].#name = :name`, values: { ':step': toAttribute(item as Json), ':name': { S: item.name } } },
      );
    });
  }

  async updateRun(runId: string, update: RunUpdate, step?: RunStep): Promise<void> {
    await this.setRunFields(runId, update);
    // Two writes here (the step goes through recordStep's read and condition on the list); the fields
    // come first, so a crash between leaves the facts without their step, never a step without them.
    if (step !== undefined) await this.recordStep(runId, step);
  }

  private async setRunFields(runId: string, update: RunUpdate): Promise<void> {
    const item = RunUpdateSchema.parse(update);
    const fields = Object.entries(item).filter(([, value]) => value !== undefined);
    if (fields.length === 0) {
      await this.requireRun(runId);
      return;
    }
    try {
      await this.update(this.tables.runs, runKey(runId), {
        update: `SET ${fields.map(([name]) => `#${name} = :${name}`).join(', ')}`,
        condition: 'attribute_exists(#runId)',
        values: Object.fromEntries(fields.map(([name, value]) => [`:${name}`, toAttribute(value as Json)])),
      });
    } catch (error) {
      if (isConditionFailure(error)) throw notStarted(runId);
      throw error;
    }
  }

  async finishRun(runId: string, status: 'succeeded' | 'failed', error?: RunError, step?: RunStep): Promise<void> {
    if (step !== undefined) await this.recordStep(runId, step);
    const runError = error === undefined ? undefined : RunErrorSchema.parse(error);
    await this.retryRaces(`finish of run ${runId}`, async () => {
      const run = await this.requireRun(runId);
      if (run.status === status && run.finishedAt !== undefined) return;
      const finishedAt = this.now().toISOString();
      const writes = [
        updateItem(this.tables.runs, runKey(runId), {
          update: `SET #status = :status, #finishedAt = :finishedAt${runError === undefined ? ' REMOVE #error' : ', #error = :error'}`,
          condition: 'attribute_exists(#runId) AND (#status <> :status OR attribute_not_exists(#finishedAt))',
          values: { ':status': { S: status }, ':finishedAt': { S: finishedAt }, ...(runError === undefined ? {} : { ':error': toAttribute(runError) }) },
        }),
      ];
      if ((await this.getTableState(run.source, run.table)).lastRun?.runId === runId) {
        writes.push(
          updateItem(this.tables.runtime, runtimeKey(run.source, run.table), {
            update: 'SET #lastRun = :summary',
            condition: '#lastRun.#runId = :runId',
            values: { ':summary': toAttribute({ runId, status, requestedAt: run.requestedAt, finishedAt }), ':runId': { S: runId } },
          }),
        );
      }
      await this.transact(writes);
    });
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    const item = await this.getItem(this.tables.runs, runKey(runId), `run ${runId}`);
    return item === null ? null : this.parseRun(item);
  }

  async listRuns(query: ListRunsQuery): Promise<RunRecord[]> {
    const limit = Math.max(0, query.limit);
    if (limit === 0) return [];
    const byTable = query.source !== undefined && query.table !== undefined;
    const filters = byTable ? [] : [...(query.source === undefined ? [] : ['#source = :source']), ...(query.table === undefined ? [] : ['#table = :table'])];
    const keyCondition = byTable ? '#tableKey = :key' : '#history = :key';
    const filter = filters.length === 0 ? undefined : filters.join(' AND ');
    const values: Item = {
      ':key': { S: byTable ? tableKey(query.source ?? '', query.table ?? '') : 'run' },
      ...(filter !== undefined && query.source !== undefined ? { ':source': { S: query.source } } : {}),
      ...(filter !== undefined && query.table !== undefined ? { ':table': { S: query.table } } : {}),
    };
    const runs: RunRecord[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.attempt('list runs', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tables.runs,
            IndexName: byTable ? RUNS_BY_TABLE : RUNS_BY_REQUESTED_AT,
            KeyConditionExpression: keyCondition,
            ...(filter === undefined ? {} : { FilterExpression: filter }),
            ExpressionAttributeNames: namesIn(keyCondition, filter),
            ExpressionAttributeValues: values,
            ScanIndexForward: false,
            Limit: limit - runs.length,
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        ),
      );
      for (const item of page.Items ?? []) runs.push(this.parseRun(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && runs.length < limit);
    return runs.slice(0, limit);
  }

  async findRunsByJobRunId(jobRunId: string): Promise<RunRecord[]> {
    const runs: RunRecord[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.attempt(`find runs of Glue job run ${jobRunId}`, () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tables.runs,
            IndexName: RUNS_BY_JOB_RUN_ID,
            KeyConditionExpression: '#jobRunId = :jobRunId',
            ExpressionAttributeNames: { '#jobRunId': 'jobRunId' },
            ExpressionAttributeValues: { ':jobRunId': { S: jobRunId } },
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        ),
      );
      for (const item of page.Items ?? []) runs.push(this.parseRun(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return runs.sort((a, b) => Date.parse(a.requestedAt) - Date.parse(b.requestedAt) || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
  }

  /** One item per source in the runtime table (`items.ts`), replaced only if its version is still the one read. */
  async acquireSourceSlots(source: string, holder: string, want: number, limit: number, now: Date, ttlMs: number): Promise<SlotGrant> {
    const request = { source, holder, want, limit, now, ttlMs };
    checkSlotRequest(request);
    return this.retryRaces(`connection slots of ${source} for ${holder}`, async () => {
      const current = await this.getSourceSlots(source);
      const { next, grant } = grantSlots(current, request);
      if (next !== null) await this.putSourceSlots(next, current);
      return grant;
    }, SLOT_ATTEMPTS);
  }

  async releaseSourceSlots(source: string, holder: string): Promise<void> {
    await this.retryRaces(`release of the connection slots of ${source} by ${holder}`, async () => {
      const current = await this.getSourceSlots(source);
      const next = releaseSlots(current, holder);
      if (next !== null) await this.putSourceSlots(next, current);
    }, SLOT_ATTEMPTS);
  }

  private async getSourceSlots(source: string): Promise<SourceSlots | null> {
    const key = sourceSlotsKey(source);
    const item = await this.getItem(this.tables.runtime, key, `source slots ${key.pk?.S ?? ''}`);
    return item === null ? null : this.parse(SourceSlotsSchema, item, ['pk'], `${this.tables.runtime} item ${key.pk?.S ?? ''}`);
  }

  /** Write `next` if the item is still `read` (absent, or at the same version); a lost race is a condition failure. */
  private async putSourceSlots(next: SourceSlots, read: SourceSlots | null): Promise<void> {
    const key = sourceSlotsKey(next.source);
    await this.attempt(`put source slots ${key.pk?.S ?? ''}`, () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tables.runtime,
          Item: { ...toItem(next), ...key },
          ...(read === null
            ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'pk' } }
            : { ConditionExpression: '#version = :version', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': { N: String(read.version) } } }),
        }),
      ),
    );
  }

  private async requireRun(runId: string): Promise<RunRecord> {
    const run = await this.getRun(runId);
    if (run === null) throw notStarted(runId);
    return run;
  }

  private async getItem(tableName: string, key: Item, what: string): Promise<Item | null> {
    const answer = await this.attempt(`read ${what}`, () => this.client.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true })));
    return answer.Item ?? null;
  }

  /** One conditional update; a failed condition is rethrown as is for the caller to decide. */
  private async update(tableName: string, key: Item, write: Write): Promise<void> {
    await this.attempt(`update ${tableName}`, () => this.client.send(new UpdateItemCommand(updateItem(tableName, key, write).Update)));
  }

  private async transact(writes: TransactWriteItem[]): Promise<void> {
    await this.attempt('transaction', () => this.client.send(new TransactWriteItemsCommand({ TransactItems: writes })));
  }

  /** Run an SDK call; condition failures pass through, everything else becomes a `StateError`. */
  private async attempt<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isConditionFailure(error)) throw error;
      throw stateErrorFrom(error, `DynamoDB ${what}`);
    }
  }

  /** Repeat a read-decide-write round while its conditional write loses a race, waiting a little longer, at random, each time. */
  private async retryRaces<T>(what: string, round: () => Promise<T>, attempts = this.maxAttempts): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await round();
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        if (attempt >= attempts) {
          throw new StateError(`${what}: lost ${attempt} races with concurrent writers; retry later`, { retryable: true, cause: error });
        }
        // Random, so writers that lost together do not collide again on the next round.
        await sleep(Math.random() * Math.min(200, 2 ** attempt * 5));
      }
    }
  }

  private parseRun(item: Item): RunRecord {
    return this.parse(RunRecordSchema, item, RUN_INDEX_ATTRIBUTES, `${this.tables.runs} item ${item['runId']?.S ?? '(no runId)'}`);
  }

  private parse<S extends z.ZodType>(schema: S, item: Item, keyAttributes: readonly string[], what: string): z.infer<S> {
    const value = fromItem(item);
    for (const name of keyAttributes) delete value[name];
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw new StateError(`${what} is not a floe state item (${issue?.path.map(String).join('.') ?? ''}: ${issue?.message ?? 'invalid'}); fix or delete the item`, {
      retryable: false,
      cause: parsed.error,
    });
  }
}

const runtimeKey = (source: string, table: string): Item => ({ pk: { S: tableKey(source, table) } });
/** A source's slots item, in the runtime table beside the tables' items: a table's key holds a `/`, a source name never does. */
const sourceSlotsKey = (source: string): Item => ({ pk: { S: `slots:${source}` } });
/**
 * Every holder of a source writes its one slots item, so races are likelier than on a table's
 * items, where one run at a time writes: more rounds before giving up.
 */
const SLOT_ATTEMPTS = 24;
const runKey = (runId: string): Item => ({ runId: { S: runId } });
const notStarted = (runId: string) => new StateError(`run ${runId} is not in the state store; start it with startRun first`, { retryable: false });

/** The run item: the record plus its index attributes (see `dynamodb-tables.ts`). */
function runItem(record: RunRecord): Item {
  return {
    ...toItem(record),
    tableKey: { S: tableKey(record.source, record.table) },
    listOrder: { S: `${new Date(record.requestedAt).toISOString()}#${record.runId}` },
    history: { S: 'run' },
  };
}

/** SET clauses giving a runtime item every `TableState` field, keeping values already there (except those named, which the caller sets). */
function runtimeDefaults(...except: string[]): string {
  const defaults = ['watermark', 'watermarkRunId', 'activeRun'].filter((name) => !except.includes(name));
  return ['#source = :source', '#table = :table', ...defaults.map((name) => `#${name} = if_not_exists(#${name}, :null)`)].join(', ');
}

function runtimeValues(source: string, table: string): Item {
  return { ':source': { S: source }, ':table': { S: table }, ':null': NULL };
}

/** Attribute name placeholders are `#` + the name, so the names map is read off the expressions. */
function namesIn(...expressions: (string | undefined)[]): Record<string, string> {
  const names: Record<string, string> = {};
  for (const expression of expressions) for (const [, name] of (expression ?? '').matchAll(/#(\w+)/g)) if (name !== undefined) names[`#${name}`] = name;
  return names;
}

function updateItem(tableName: string, key: Item, write: Write): TransactWriteItem & { Update: NonNullable<TransactWriteItem['Update']> } {
  const used = new Set(`${write.update} ${write.condition ?? ''}`.match(/:\w+/g));
  const values = Object.fromEntries(Object.entries(write.values ?? {}).filter(([name]) => used.has(name)));
  return {
    Update: {
      TableName: tableName,
      Key: key,
      UpdateExpression: write.update,
      ...(write.condition === undefined ? {} : { ConditionExpression: write.condition }),
      ExpressionAttributeNames: namesIn(write.update, write.condition),
      ...(Object.keys(values).length === 0 ? {} : { ExpressionAttributeValues: values }),
    },
  };
}

function conditionCheck(tableName: string, key: Item, condition: string): TransactWriteItem {
  return { ConditionCheck: { TableName: tableName, Key: key, ConditionExpression: condition, ExpressionAttributeNames: namesIn(condition) } };
}
