import { FLOE_EVENT_SOURCE, GLUE_EVENT_SOURCE } from './bus.js';
import { GLUE_FINISHED_STATES, GLUE_JOB_STATE_CHANGE } from './glue-job-state-change.js';
import { INGEST_REQUESTED } from './ingest-requested.js';
import { RAW_LANDED } from './raw-landed.js';
import { STAGE_MERGED } from './stage-merged.js';

/** The Lambda handlers of the choreography (`functions/<name>/`). */
export const HANDLER_NAMES = ['start-ingest', 'glue-finished', 'load-and-merge', 'build-gold', 'check-after-merge'] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];

/**
 * The subset of EventBridge's pattern language floe uses: exact string values,
 * an array meaning "any of", and one level of keys under `detail`.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 */
export interface EventPattern {
  source: string[];
  'detail-type': string[];
  detail?: Record<string, string[]>;
}

/** One rule: events matching `pattern` go to `handler`. */
export interface Route {
  handler: HandlerName;
  pattern: EventPattern;
}

/** What {@link matches} reads from an event; any EventBridge event fits. */
export interface RoutableEvent {
  source: string;
  'detail-type': string;
  detail?: unknown;
}

/**
 * Which handler reacts to which event. The CDK stack makes one rule per route
 * and the local bus dispatches with {@link handlersFor}, both from this table.
 * The Glue rule here takes any job name; deployments use {@link routesFor}.
 */
export const ROUTES: readonly Route[] = [
  { handler: 'start-ingest', pattern: { source: [FLOE_EVENT_SOURCE], 'detail-type': [INGEST_REQUESTED] } },
  {
    handler: 'glue-finished',
    pattern: {
      source: [GLUE_EVENT_SOURCE],
      'detail-type': [GLUE_JOB_STATE_CHANGE],
      detail: { state: [...GLUE_FINISHED_STATES] },
    },
  },
  { handler: 'load-and-merge', pattern: { source: [FLOE_EVENT_SOURCE], 'detail-type': [RAW_LANDED] } },
  { handler: 'build-gold', pattern: { source: [FLOE_EVENT_SOURCE], 'detail-type': [STAGE_MERGED] } },
  // Tables with `check: after-merge`; the handler lets the others go. CheckCompleted itself goes to
  // whoever subscribes (no floe handler reacts to it), and so does EventRefused.
  { handler: 'check-after-merge', pattern: { source: [FLOE_EVENT_SOURCE], 'detail-type': [STAGE_MERGED] } },
];

/**
 * The routing table with the Glue rule narrowed to `jobNames`, so state
 * changes of other Glue jobs in the account never reach `glue-finished`.
 */
export function routesFor(jobNames: readonly string[]): Route[] {
  if (jobNames.length === 0) {
    throw new Error('routesFor needs at least one Glue job name (an empty list would match no job at all)');
  }
  return ROUTES.map((route) =>
    route.handler === 'glue-finished'
      ? { ...route, pattern: { ...route.pattern, detail: { ...route.pattern.detail, jobName: [...jobNames] } } }
      : route,
  );
}

/**
 * EventBridge matching for {@link EventPattern}: every key in the pattern must
 * match; a key's array matches when the event's value equals any entry (or,
 * if the event's value is an array, when any of its elements does). A key
 * missing from the event never matches.
 */
export function matches(pattern: EventPattern, event: RoutableEvent): boolean {
  if (!matchesValue(pattern.source, event.source)) return false;
  if (!matchesValue(pattern['detail-type'], event['detail-type'])) return false;
  if (pattern.detail === undefined) return true;
  const detail = event.detail;
  if (typeof detail !== 'object' || detail === null) return false;
  return Object.entries(pattern.detail).every(([key, allowed]) =>
    matchesValue(allowed, (detail as Record<string, unknown>)[key]),
  );
}

/** Handlers whose route matches `event`, in table order; empty when none does. */
export function handlersFor(event: RoutableEvent, routes: readonly Route[] = ROUTES): HandlerName[] {
  return routes.filter((route) => matches(route.pattern, event)).map((route) => route.handler);
}

function matchesValue(allowed: readonly string[], value: unknown): boolean {
  if (Array.isArray(value)) return value.some((item) => matchesValue(allowed, item));
  return typeof value === 'string' && allowed.includes(value);
}
