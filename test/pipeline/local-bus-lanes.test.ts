import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { FloeEvent } from '../../events/index.js';
import { LocalBus } from '../../runtime/local/bus.js';
import { TurnTakingWarehouse } from '../../runtime/local/turn-taking-warehouse.js';
import { eventFixture, type EventJson } from '../fixtures/events/load.js';

/** A RawLanded or StageMerged of `table` (of source clr), with its own event id. */
function eventOf(name: 'raw-landed' | 'stage-merged', table: string, id: string): EventJson {
  const event = eventFixture(name);
  event['id'] = id;
  event.detail['table'] = table;
  return event;
}

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return { opened, open };
}

/** What the handlers saw, in order: `start <id>` and `end <id>`. */
type Log = string[];

/** A handler that logs its start, waits for `gates[id]` when there is one, then logs its end. */
function loggingHandler(log: Log, gates: Record<string, Promise<void>> = {}) {
  return async (event: FloeEvent): Promise<void> => {
    log.push(`start ${event.id}`);
    await (gates[event.id] ?? Promise.resolve());
    log.push(`end ${event.id}`);
  };
}

describe('LocalBus: lanes', () => {
  it("delivers two tables' events at once", async () => {
    // Prepare
    const log: Log = [];
    const first = gate();
    const bus = new LocalBus({ lanes: 4, handlers: { 'load-and-merge': loggingHandler(log, { a: first.opened }) } });
    // Act
    await bus.publishEvents([eventOf('raw-landed', 'clr.a', 'a'), eventOf('raw-landed', 'clr.b', 'b')]);
    const whileAWaits = await new Promise<Log>((resolve) => setTimeout(() => resolve([...log]), 50));
    first.open();
    await bus.idle();
    // Assess
    expect(whileAWaits).toEqual(['start a', 'start b', 'end b']);
    expect(log).toEqual(['start a', 'start b', 'end b', 'end a']);
  });

  it("keeps a table's own events in publication order while other tables' go past", async () => {
    // Prepare
    const log: Log = [];
    const first = gate();
    const handler = loggingHandler(log, { a1: first.opened });
    const bus = new LocalBus({ lanes: 4, handlers: { 'load-and-merge': handler, 'build-gold': handler } });
    // Act
    await bus.publishEvents([eventOf('raw-landed', 'clr.a', 'a1'), eventOf('stage-merged', 'clr.a', 'a2'), eventOf('raw-landed', 'clr.b', 'b1'), eventOf('stage-merged', 'clr.b', 'b2')]);
    const whileA1Waits = await new Promise<Log>((resolve) => setTimeout(() => resolve([...log]), 50));
    first.open();
    await bus.idle();
    // Assess
    expect(whileA1Waits).toEqual(['start a1', 'start b1', 'end b1', 'start b2', 'end b2']);
    expect(log.slice(whileA1Waits.length)).toEqual(['end a1', 'start a2', 'end a2']);
  });

  it('keeps the order of an event its handler publishes for its own table', async () => {
    // Prepare
    const log: Log = [];
    const bus: LocalBus = new LocalBus({
      lanes: 4,
      handlers: {
        'load-and-merge': async (event) => {
          log.push(`start ${event.id}`);
          // Published before the handler has ended: the StageMerged waits for it.
          await bus.publishEvent(eventOf('stage-merged', String(event.detail['table']), `${event.id}-merged`));
          await new Promise((resolve) => setTimeout(resolve, 20));
          log.push(`end ${event.id}`);
        },
        'build-gold': loggingHandler(log),
      },
    });
    // Act
    await bus.publishEvent(eventOf('raw-landed', 'clr.a', 'a'));
    await bus.idle();
    // Assess
    expect(log).toEqual(['start a', 'end a', 'start a-merged', 'end a-merged']);
  });

  it('has no more deliveries in flight than its lanes', async () => {
    // Prepare
    let inFlight = 0;
    let most = 0;
    const bus = new LocalBus({
      lanes: 3,
      handlers: {
        'load-and-merge': async () => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 10));
          inFlight -= 1;
        },
      },
    });
    // Act
    await bus.publishEvents(Array.from({ length: 10 }, (_, i) => eventOf('raw-landed', `clr.t${i}`, `t${i}`)));
    await bus.idle();
    // Assess
    expect(most).toBe(3);
  });

  it('delivers one event at a time without lanes', async () => {
    // Prepare
    const log: Log = [];
    const bus = new LocalBus({ handlers: { 'load-and-merge': loggingHandler(log) } });
    // Act
    await bus.publishEvents([eventOf('raw-landed', 'clr.a', 'a'), eventOf('raw-landed', 'clr.b', 'b')]);
    await bus.idle();
    // Assess
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  it('tells afterDelivery how many events are still queued or in delivery', async () => {
    // Prepare
    const pending: number[] = [];
    const bus = new LocalBus({
      lanes: 2,
      handlers: { 'load-and-merge': async () => new Promise((resolve) => setTimeout(resolve, 10)) },
      afterDelivery: async (count) => void pending.push(count),
    });
    // Act
    await bus.publishEvents(Array.from({ length: 3 }, (_, i) => eventOf('raw-landed', `clr.t${i}`, `t${i}`)));
    await bus.idle();
    // Assess
    expect(pending).toHaveLength(3);
    expect(pending.at(-1)).toBe(0);
    expect(pending.slice(0, -1).every((count) => count > 0)).toBe(true);
  });
});

describe('LocalBus: a job run that ends before start-ingest has recorded it', () => {
  it("holds the job run's end until start-ingest's batch has ended", async () => {
    // Prepare: start-ingest starts the job, which ends at once (a spawn that fails, a quick job), and only then records it
    const recorded = new Set<string>();
    const seenByGlueFinished: boolean[] = [];
    const glueEnd = eventFixture('glue-job-state-change');
    const jobRunId = String(glueEnd.detail['jobRunId']);
    const bus: LocalBus = new LocalBus({
      lanes: 4,
      handlers: {
        'start-ingest': Object.assign(async () => undefined, {
          batch: async () => {
            await bus.publishEvent(glueEnd);
            await new Promise((resolve) => setTimeout(resolve, 50));
            recorded.add(jobRunId);
            return [];
          },
        }),
        'glue-finished': async (event: FloeEvent) => {
          seenByGlueFinished.push(recorded.has(String((event.detail as { jobRunId?: unknown }).jobRunId)));
        },
      },
    });
    // Act
    await bus.publishEvents([eventFixture('ingest-requested'), { ...eventFixture('ingest-requested'), id: 'second' }]);
    await bus.idle();
    // Assess
    expect(seenByGlueFinished).toEqual([true]);
  });
});

describe('TurnTakingWarehouse: calls and letting go from several tables at once', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'floe-turns-'));
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('answers every call, however its calls and releases interleave', async () => {
    // Prepare
    const warehouse = new TurnTakingWarehouse(join(folder, 'warehouse.duckdb'), { waitMs: 0 });
    // Act
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        if (i % 3 === 0) await warehouse.release();
        return (await warehouse.query(`select ${i} as n`))[0]?.['n'];
      }),
    );
    await warehouse.close();
    // Assess
    expect(answers.map(Number)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
