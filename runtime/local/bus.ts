import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

import { isRetryable } from '../../errors/floe-error.js';
import { FLOE_EVENT_SOURCE, ROUTES, handlersFor, parseEvent } from '../../events/index.js';
import type { FloeEvent, HandlerName, Route } from '../../events/index.js';
import { busFaultPoint, faultPoint } from '../../fault/fault-point.js';
import type { BatchEventHandler, DetailOf, EventFailure, EventHandler, PublishedDetailType, Publisher } from '../../pipeline/index.js';

/**
 * How the bus retries a handler whose failure may pass (its error is `retryable`), as Lambda's
 * retry policy does on AWS: `attempts` in all, waiting `backoffMs`, then twice that, between them.
 * Once they are spent, `exhausted` ends what the handler could not finish (pipeline/retries-exhausted.ts).
 */
export interface HandlerRetry {
  attempts: number;
  backoffMs: number;
  exhausted: (handler: HandlerName, event: FloeEvent, error: unknown) => Promise<void>;
}

/**
 * Whether a handler may also take several events at once (start-ingest: the tables of one source
 * start as one job run). The bus hands such a handler every queued event routed to it alone, as a
 * Lambda reading an SQS queue gets a batch of records, and retries only the events it reports failed.
 */
function isBatching(handler: EventHandler | BatchEventHandler): handler is BatchEventHandler {
  return typeof (handler as { batch?: unknown }).batch === 'function';
}

/** The handlers the bus delivers to, by name; the routing table says which gets which event. */
export type LocalHandlers = Partial<Record<HandlerName, EventHandler | BatchEventHandler>>;

export interface LocalBusOptions {
  /** Set here, or later with {@link LocalBus.subscribe} (handlers usually need the bus to publish on). */
  handlers?: LocalHandlers;
  routes?: readonly Route[];
  /** Every event published is appended here (JSON lines), so `floe replay` can find it later. */
  eventLog?: string;
  /** Sees every event after it is validated, before it is dispatched (progress display). */
  onEvent?: (event: FloeEvent) => void;
  /**
   * Delivers every event more than once, as EventBridge may (at least once, in no promised order):
   * for tests proving the handlers idempotent. `floe run` never sets it.
   */
  redelivery?: Redelivery;
  /** Without it, a handler's failure is not retried and goes to {@link LocalBus.handlerErrors}. */
  retry?: HandlerRetry;
  /**
   * After each event (or batch) has reached every handler it goes to, with the number of events
   * still queued or in delivery besides it (the local warehouse lets go of its file once none is: a
   * burst of steps keeps it open).
   */
  afterDelivery?: (pending: number) => Promise<void>;
  /**
   * Deliveries in flight at once, each of another lane (a table's events, or a Glue job run's end);
   * default 1. A lane's own events are still delivered one at a time, in publication order.
   */
  lanes?: number;
}

/**
 * How {@link LocalBus} repeats deliveries. Only the extra copies are repeated, never re-copied; they
 * reach the handlers as the first did (same event, same id), and go to no log or progress display.
 */
export interface Redelivery {
  /** Deliveries of each event in all, 2 or more. */
  copies: number;
  /**
   * `adjacent`: the copies right after the first delivery, before anything it caused.
   * `held`: kept until {@link LocalBus.deliverHeld}, then delivered newest first: each one late,
   * after the steps its first delivery caused, and out of publication order.
   */
  timing: 'adjacent' | 'held';
}

/** How a Glue job run's lane begins (see {@link laneOf}). */
const JOB_RUN_LANE = '["job run",';

/**
 * The lane an event is delivered in: its table's for floe's events (so a table's steps stay in
 * order), its job run's for Glue's state changes (which name no table), else its own.
 */
export function laneOf(event: FloeEvent): string {
  const detail = event.detail as { source?: unknown; table?: unknown; jobRunId?: unknown };
  if (typeof detail.source === 'string' && typeof detail.table === 'string') return JSON.stringify(['table', detail.source, detail.table]);
  if (typeof detail.jobRunId === 'string') return `${JOB_RUN_LANE}${JSON.stringify(detail.jobRunId)}]`;
  return JSON.stringify(['event', event.id]);
}

/**
 * The local stand-in for the EventBridge bus: validates each event against its contract,
 * records it, and dispatches it to the handlers the routing table names. Events of one lane
 * ({@link laneOf}: one table) are delivered one at a time in publication order; up to
 * {@link LocalBusOptions.lanes} lanes at once, as EventBridge runs different tables' Lambdas at
 * once (the steps' state writes wait on fsyncs that overlap for free; the warehouse takes its
 * statements one at a time whoever calls). Handlers never call each other; they only publish.
 */
export class LocalBus implements Publisher {
  private readonly queue: FloeEvent[] = [];
  /** Copies {@link Redelivery} `held` keeps back, in publication order. */
  private readonly held: FloeEvent[] = [];
  /** The extra copies {@link Redelivery} made, so a copy is never copied again. */
  private readonly copies = new WeakSet<FloeEvent>();
  /** Resolves when nothing is queued or in delivery; rejects with the first error of a delivery. */
  private draining: Promise<void> | null = null;
  private drained: { resolve: () => void; reject: (error: unknown) => void } | null = null;
  private failure: { error: unknown } | null = null;
  /** Lanes with a delivery in flight. */
  private readonly busyLanes = new Set<string>();
  private inFlight = 0;
  /**
   * Batches in delivery (start-ingest's). A job run's end waits for them: start-ingest records the
   * job run on its runs only after starting it, and a job that fails to spawn, or is quick, ends first.
   */
  private batchesInFlight = 0;
  /** The event log's appends, one after another, so its lines are whole and in publication order. */
  private logged: Promise<void> = Promise.resolve();
  readonly handlerErrors: { handler: HandlerName; event: FloeEvent; error: unknown }[] = [];
  private handlers: LocalHandlers;

  constructor(private readonly options: LocalBusOptions) {
    this.handlers = options.handlers ?? {};
    const copies = options.redelivery?.copies;
    if (copies !== undefined && (!Number.isInteger(copies) || copies < 2)) {
      throw new Error(`redelivery.copies must be a whole number of 2 or more, got ${copies}`);
    }
  }

  /** Adds handlers; events already queued reach them too. */
  subscribe(handlers: LocalHandlers): void {
    this.handlers = { ...this.handlers, ...handlers };
  }

  async publish<T extends PublishedDetailType>(detailType: T, detail: DetailOf<T>): Promise<void> {
    await this.publishEvent(this.envelope(detailType, detail));
  }

  private envelope<T extends PublishedDetailType>(detailType: T, detail: DetailOf<T>): unknown {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source: FLOE_EVENT_SOURCE,
      account: 'local',
      time: new Date().toISOString(),
      region: 'local',
      resources: [],
      detail,
    };
  }

  /** Publish a whole event (AWS-native ones such as Glue's state changes, or a replayed one). */
  async publishEvent(raw: unknown): Promise<void> {
    await this.publishEvents([raw]);
  }

  /**
   * Publish several events at once: all are recorded and queued before any is dispatched, so a
   * handler that takes batches gets them together (`floe run`'s requests: one job run per source).
   */
  async publishEvents(raws: readonly unknown[]): Promise<void> {
    const events = raws.map((raw) => parseEvent(raw));
    const log = this.options.eventLog;
    if (log && events.length > 0) {
      const lines = events.map((event) => `${JSON.stringify(event)}\n`).join('');
      const append = this.logged.then(async () => {
        await mkdir(dirname(log), { recursive: true });
        await appendFile(log, lines);
      });
      this.logged = append.catch(() => undefined);
      await append;
    }
    for (const event of events) {
      const point = busFaultPoint(event['detail-type']);
      if (point) faultPoint(point);
      this.options.onEvent?.(event);
      this.queue.push(event);
    }
    this.startDraining();
  }

  /** Publish several events of floe's own, as {@link publishEvents}. */
  async publishAll<T extends PublishedDetailType>(detailType: T, details: readonly DetailOf<T>[]): Promise<void> {
    await this.publishEvents(details.map((detail) => this.envelope(detailType, detail)));
  }

  /** How many copies {@link Redelivery} `held` keeps back. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Queues every held copy, newest first, and dispatches them; resolves when the bus is idle. */
  async deliverHeld(): Promise<void> {
    this.queue.push(...this.held.splice(0).reverse());
    this.startDraining();
    await this.idle();
  }

  get busy(): boolean {
    return this.draining !== null || this.queue.length > 0;
  }

  /** Resolves when every published event has been dispatched and no handler is running. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private startDraining(): void {
    if (this.draining === null) {
      this.draining = new Promise<void>((resolve, reject) => {
        this.drained = { resolve, reject };
      });
    }
    this.pump();
  }

  /**
   * Starts every queued event whose lane is free, in queue order, while fewer than `lanes`
   * deliveries are in flight. An event waits while its lane has one in flight or an earlier one
   * queued, so each lane's events go out in publication order. After a delivery's error, nothing
   * more starts; the error ends the drain once the deliveries in flight have ended.
   */
  private pump(): void {
    const lanes = this.options.lanes ?? 1;
    const blocked = new Set(this.busyLanes);
    for (let index = 0; this.failure === null && index < this.queue.length && this.inFlight < lanes; ) {
      const event = this.queue[index]!;
      const lane = laneOf(event);
      if (blocked.has(lane) || (this.batchesInFlight > 0 && lane.startsWith(JOB_RUN_LANE))) {
        index += 1;
        continue;
      }
      const batching = this.batchingHandlerOf(event);
      const taken = batching === null ? [event] : this.takeBatch(batching.name, index, blocked);
      const removed = new Set(taken);
      this.queue.splice(0, this.queue.length, ...this.queue.filter((queued) => !removed.has(queued)));
      for (const each of taken) blocked.add(laneOf(each));
      this.start(taken, batching);
    }
    if (this.inFlight > 0 || this.drained === null) return;
    if (this.failure === null && this.queue.length > 0) return;
    const { drained, failure } = this;
    // Cleared with the resolve, not a microtask later: a publish in between starts a drain of its own.
    this.draining = null;
    this.drained = null;
    this.failure = null;
    if (failure === null) drained.resolve();
    else drained.reject(failure.error);
  }

  /** Delivers `events` (one, or a batch for `batching`), holding their lanes until it ends. */
  private start(events: readonly FloeEvent[], batching: { name: HandlerName; handler: BatchEventHandler } | null): void {
    const lanes = new Set(events.map(laneOf));
    for (const lane of lanes) this.busyLanes.add(lane);
    this.inFlight += 1;
    if (batching !== null) this.batchesInFlight += 1;
    void (async () => {
      // Begins once pump's loop is done: a handler may publish before its first await, and that
      // publication's pump must not run inside this one.
      await null;
      try {
        if (batching === null) await this.dispatch(events[0]!);
        else await this.dispatchBatch(batching.name, batching.handler, events);
        await this.options.afterDelivery?.(this.queue.length + this.inFlight - 1);
      } catch (error) {
        this.failure ??= { error };
      } finally {
        this.inFlight -= 1;
        if (batching !== null) this.batchesInFlight -= 1;
        for (const lane of lanes) this.busyLanes.delete(lane);
        this.pump();
      }
    })();
  }

  private routesOf(event: FloeEvent): HandlerName[] {
    return handlersFor(event, this.options.routes ?? ROUTES);
  }

  /** The one handler `event` goes to, when that handler takes batches; else null. */
  private batchingHandlerOf(event: FloeEvent): { name: HandlerName; handler: BatchEventHandler } | null {
    const [name, ...more] = this.routesOf(event);
    const handler = name === undefined || more.length > 0 ? undefined : this.handlers[name];
    return handler !== undefined && name !== undefined && isBatching(handler) ? { name, handler } : null;
  }

  /**
   * The queued events from `from` on that go to `name` alone and are next in their lanes (none of
   * their lane is in flight, in `blocked`, or queued before them untaken), in order.
   */
  private takeBatch(name: HandlerName, from: number, blocked: ReadonlySet<string>): FloeEvent[] {
    const waiting = new Set(blocked);
    const taken: FloeEvent[] = [];
    for (const event of this.queue.slice(from)) {
      const routes = this.routesOf(event);
      const lane = laneOf(event);
      if (routes.length === 1 && routes[0] === name && !waiting.has(lane)) taken.push(event);
      else waiting.add(lane);
    }
    return taken;
  }

  /** The deliveries of `event`: itself, and the copies {@link Redelivery} asks for now (held ones wait). */
  private deliveriesOf(event: FloeEvent): FloeEvent[] {
    const deliveries = [event];
    const redelivery = this.options.redelivery;
    if (redelivery !== undefined && !this.copies.has(event)) {
      // Each copy is its own object, as each EventBridge delivery is parsed afresh.
      for (let i = 1; i < redelivery.copies; i += 1) {
        const copy = structuredClone(event);
        this.copies.add(copy);
        (redelivery.timing === 'held' ? this.held : deliveries).push(copy);
      }
    }
    return deliveries;
  }

  private async dispatch(event: FloeEvent): Promise<void> {
    for (const delivery of this.deliveriesOf(event)) {
      for (const name of this.routesOf(delivery)) {
        const handler = this.handlers[name];
        if (handler) await this.deliver(name, handler, delivery);
      }
    }
  }

  /** Several events to one batching handler at once; those it reports failed are retried, alone, while their failure may pass. */
  private async dispatchBatch(name: HandlerName, handler: BatchEventHandler, events: readonly FloeEvent[]): Promise<void> {
    const deliveries = events.flatMap((event) => this.deliveriesOf(event));
    await this.attempt(name, (pending) => handler.batch(pending), deliveries);
  }

  /** One handler, one event: retried while its error may pass, as Lambda would on AWS. */
  private async deliver(name: HandlerName, handler: EventHandler, event: FloeEvent): Promise<void> {
    await this.attempt(name, async ([pending]) => {
      try {
        await handler(pending!);
        return [];
      } catch (error) {
        return [{ event: pending!, error }];
      }
    }, [event]);
  }

  /**
   * Runs `work` for `events`, then again for those that failed with an error that may pass; once
   * the attempts are spent each such event's run is ended, and an error no retry can fix is recorded.
   */
  private async attempt(name: HandlerName, work: (events: readonly FloeEvent[]) => Promise<EventFailure[]>, events: readonly FloeEvent[]): Promise<void> {
    const retry = this.options.retry;
    let pending = events;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      let failures: EventFailure[];
      try {
        failures = await work(pending);
      } catch (error) {
        failures = pending.map((event) => ({ event, error }));
      }
      // A failure no retry can fix, thrown rather than handled: on AWS it would be dead-lettered.
      const retried = retry === undefined ? [] : failures.filter((failure) => isRetryable(failure.error));
      for (const failure of failures) if (!retried.includes(failure)) this.handlerErrors.push({ handler: name, ...failure });
      if (retry === undefined || retried.length === 0) return;
      if (attempt >= retry.attempts) {
        for (const failure of retried) await retry.exhausted(name, failure.event, failure.error);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, retry.backoffMs * 2 ** (attempt - 1)));
      pending = retried.map((failure) => failure.event);
    }
  }
}
