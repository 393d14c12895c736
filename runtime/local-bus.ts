import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

import { FLOE_EVENT_SOURCE, ROUTES, handlersFor, parseEvent } from '../events/index.js';
import type { FloeEvent, HandlerName, Route } from '../events/index.js';
import { busFaultPoint, faultPoint } from './fault.js';

export type EventHandler = (event: FloeEvent) => Promise<void>;

/** What a handler publishes: a floe event's detail-type and detail; the bus adds the envelope. */
export interface Publisher {
  publish(detailType: string, detail: object): Promise<void>;
}

export interface LocalBusOptions {
  handlers: Partial<Record<HandlerName, EventHandler>>;
  routes?: readonly Route[];
  /** Every event published is appended here (JSON lines), so `floe replay` can find it later. */
  eventLog?: string;
  /** Sees every event after it is validated, before it is dispatched (progress display). */
  onEvent?: (event: FloeEvent) => void;
}

/**
 * The local stand-in for the EventBridge bus: validates each event against its contract,
 * records it, and dispatches it to the handlers the routing table names, one at a time and
 * in publication order. Handlers never call each other; they only publish.
 */
export class LocalBus implements Publisher {
  private readonly queue: FloeEvent[] = [];
  private draining: Promise<void> | null = null;
  readonly handlerErrors: { handler: HandlerName; event: FloeEvent; error: unknown }[] = [];

  constructor(private readonly options: LocalBusOptions) {}

  async publish(detailType: string, detail: object): Promise<void> {
    await this.publishEvent({
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source: FLOE_EVENT_SOURCE,
      account: 'local',
      time: new Date().toISOString(),
      region: 'local',
      resources: [],
      detail,
    });
  }

  /** Publish a whole event (AWS-native ones such as Glue's state changes, or a replayed one). */
  async publishEvent(raw: unknown): Promise<void> {
    const event = parseEvent(raw);
    if (this.options.eventLog) {
      await mkdir(dirname(this.options.eventLog), { recursive: true });
      await appendFile(this.options.eventLog, `${JSON.stringify(event)}\n`);
    }
    const point = busFaultPoint(event['detail-type']);
    if (point) faultPoint(point);
    this.options.onEvent?.(event);
    this.queue.push(event);
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
  }

  get busy(): boolean {
    return this.draining !== null || this.queue.length > 0;
  }

  /** Resolves when every published event has been dispatched and no handler is running. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    for (let event = this.queue.shift(); event; event = this.queue.shift()) {
      for (const name of handlersFor(event, this.options.routes ?? ROUTES)) {
        const handler = this.options.handlers[name];
        if (!handler) continue;
        try {
          await handler(event);
        } catch (error) {
          // On AWS the event would be retried, then dead-lettered; locally the run reports it.
          this.handlerErrors.push({ handler: name, event, error });
        }
      }
    }
  }
}
