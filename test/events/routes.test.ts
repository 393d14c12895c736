import { ROUTES, handlersFor, matches, routesFor, type EventPattern } from '../../events/index.js';
import { eventFixture, type EventFixtureName } from '../fixtures/events/load.js';

describe('Routes: handlersFor', () => {
  it.each<[EventFixtureName, string[]]>([
    ['ingest-requested', ['start-ingest']],
    ['glue-job-state-change', ['glue-finished']],
    ['raw-landed', ['load-and-merge']],
    ['stage-merged', ['build-gold', 'check-after-merge']],
    ['glue-started', []],
    ['gold-built', []],
    ['ingest-failed', []],
    ['check-completed', []],
    ['event-refused', []],
  ])('routes the %s fixture to %j', (name, expected) => {
    // Prepare
    const event = eventFixture(name);

    // Act
    const handlers = handlersFor({ ...event, source: String(event.source), 'detail-type': String(event['detail-type']) });

    // Assess
    expect(handlers).toEqual(expected);
  });

  it.each(['SUCCEEDED', 'FAILED', 'TIMEOUT', 'STOPPED', 'ERROR'])('routes a Glue %s state to glue-finished', (state) => {
    // Prepare
    const event = { source: 'aws.glue', 'detail-type': 'Glue Job State Change', detail: { jobName: 'floe-extract', state } };

    // Act & Assess
    expect(handlersFor(event)).toEqual(['glue-finished']);
  });

  it.each(['RUNNING', 'STARTING', 'STOPPING', 'WAITING'])('routes a Glue %s state nowhere', (state) => {
    // Prepare
    const event = { source: 'aws.glue', 'detail-type': 'Glue Job State Change', detail: { jobName: 'floe-extract', state } };

    // Act & Assess
    expect(handlersFor(event)).toEqual([]);
  });

  it('routes a floe detail-type from another source nowhere', () => {
    // Prepare
    const event = { source: 'someone.else', 'detail-type': 'RawLanded', detail: {} };

    // Act & Assess
    expect(handlersFor(event)).toEqual([]);
  });
});

describe('Routes: routesFor', () => {
  const glueEvent = (jobName: string) => ({
    source: 'aws.glue',
    'detail-type': 'Glue Job State Change',
    detail: { jobName, state: 'SUCCEEDED' },
  });

  it('ignores Glue jobs with other names', () => {
    // Prepare
    const routes = routesFor(['floe-extract']);

    // Act & Assess
    expect(handlersFor(glueEvent('floe-extract'), routes)).toEqual(['glue-finished']);
    expect(handlersFor(glueEvent('nightly-etl'), routes)).toEqual([]);
  });

  it('keeps the state filter and leaves the other routes as they are', () => {
    // Act
    const routes = routesFor(['floe-extract', 'floe-extract-mysql']);

    // Assess
    expect(routes.find((r) => r.handler === 'glue-finished')?.pattern.detail).toEqual({
      state: ['SUCCEEDED', 'FAILED', 'TIMEOUT', 'STOPPED', 'ERROR'],
      jobName: ['floe-extract', 'floe-extract-mysql'],
    });
    expect(routes.filter((r) => r.handler !== 'glue-finished')).toEqual(ROUTES.filter((r) => r.handler !== 'glue-finished'));
    expect(ROUTES.find((r) => r.handler === 'glue-finished')?.pattern.detail).not.toHaveProperty('jobName');
  });

  it('throws if no job name is given', () => {
    // Act & Assess
    expect(() => routesFor([])).toThrow('routesFor needs at least one Glue job name');
  });
});

describe('Routes: matches', () => {
  const pattern: EventPattern = { source: ['a', 'b'], 'detail-type': ['T'], detail: { state: ['X', 'Y'] } };

  it('matches when every key matches one of its values', () => {
    // Act & Assess
    expect(matches(pattern, { source: 'b', 'detail-type': 'T', detail: { state: 'Y', other: 1 } })).toBe(true);
  });

  it('does not match when one key misses', () => {
    // Act & Assess
    expect(matches(pattern, { source: 'c', 'detail-type': 'T', detail: { state: 'X' } })).toBe(false);
    expect(matches(pattern, { source: 'a', 'detail-type': 'U', detail: { state: 'X' } })).toBe(false);
    expect(matches(pattern, { source: 'a', 'detail-type': 'T', detail: { state: 'Z' } })).toBe(false);
  });

  it('does not match when a detail key is missing or the detail is absent', () => {
    // Act & Assess
    expect(matches(pattern, { source: 'a', 'detail-type': 'T', detail: {} })).toBe(false);
    expect(matches(pattern, { source: 'a', 'detail-type': 'T' })).toBe(false);
  });

  it('matches an array value in the event when any element matches, as EventBridge does', () => {
    // Act & Assess
    expect(matches(pattern, { source: 'a', 'detail-type': 'T', detail: { state: ['Z', 'X'] } })).toBe(true);
    expect(matches(pattern, { source: 'a', 'detail-type': 'T', detail: { state: ['Z'] } })).toBe(false);
  });

  it('compares exactly: case and type matter', () => {
    // Act & Assess
    expect(matches(pattern, { source: 'a', 'detail-type': 'T', detail: { state: 'x' } })).toBe(false);
    expect(matches({ ...pattern, detail: { n: ['1'] } }, { source: 'a', 'detail-type': 'T', detail: { n: 1 } })).toBe(false);
  });
});
