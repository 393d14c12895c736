import { ZodError } from 'zod';
import { DETAIL_TYPES, EventValidationError, MAX_EVENT_BYTES, parseEvent } from '../../events/index.js';
import { eventFixture } from '../fixtures/events/load.js';

describe('Envelope: parseEvent', () => {
  it('accepts the event as JSON text', () => {
    // Prepare
    const event = eventFixture('stage-merged');

    // Act
    const parsed = parseEvent(JSON.stringify(event));

    // Assess
    expect(parsed).toEqual(event);
  });

  it('narrows the detail by detail-type', () => {
    // Prepare
    const event = eventFixture('raw-landed');

    // Act
    const parsed = parseEvent(event);

    // Assess
    const totalRows = parsed['detail-type'] === 'RawLanded' ? parsed.detail.totalRows : undefined;
    expect(totalRows).toBe(1523);
  });

  it('keeps the replay-name EventBridge adds to replayed events', () => {
    // Prepare
    const event = { ...eventFixture('raw-landed'), 'replay-name': 'floe-replay-r-20251105T120000Z-7f3a' };

    // Act
    const parsed = parseEvent(event);

    // Assess
    expect(parsed['replay-name']).toBe('floe-replay-r-20251105T120000Z-7f3a');
  });

  it('throws an EventValidationError that keeps the ZodError as cause and is not retryable', () => {
    // Prepare
    const event = eventFixture('raw-landed');
    event.detail.totalRows = '1523';

    // Act
    let thrown: unknown;
    try {
      parseEvent(event);
    } catch (error) {
      thrown = error;
    }

    // Assess
    expect(thrown).toBeInstanceOf(EventValidationError);
    const error = thrown as EventValidationError;
    expect(error.name).toBe('EventValidationError');
    expect(error.retryable).toBe(false);
    expect(error.cause).toBeInstanceOf(ZodError);
    expect(error.message).toBe('RawLanded: detail.totalRows: expected number, received string');
  });

  it('counts further issues in the message', () => {
    // Prepare
    const event = eventFixture('raw-landed');
    event.detail.totalRows = -1;
    event.detail.fileCount = -1;

    // Act & Assess
    expect(() => parseEvent(event)).toThrow(
      'RawLanded: detail.totalRows: Too small: expected number to be >=0 (and 1 more issue)',
    );
  });

  it('throws if an envelope field is missing', () => {
    // Prepare
    const event = eventFixture('gold-built');
    delete event.account;

    // Act & Assess
    expect(() => parseEvent(event)).toThrow('GoldBuilt: account: expected string, received undefined');
  });

  it('throws if the detail-type is unknown, listing the known ones', () => {
    // Prepare
    const event = { ...eventFixture('raw-landed'), 'detail-type': 'RawLanding' };

    // Act & Assess
    expect(() => parseEvent(event)).toThrow(
      'unknown detail-type "RawLanding"; floe handles "IngestRequested", "GlueStarted", "Glue Job State Change", ' +
        '"RawLanded", "StageMerged", "GoldBuilt", "IngestFailed", "CheckCompleted", "EventRefused"',
    );
    expect(DETAIL_TYPES).toHaveLength(9);
  });

  it('throws if there is no detail-type at all', () => {
    // Act & Assess
    expect(() => parseEvent({ hello: 'world' })).toThrow('event has no "detail-type" string');
    expect(() => parseEvent(null)).toThrow(EventValidationError);
  });

  it('throws if the JSON text is malformed', () => {
    // Act & Assess
    expect(() => parseEvent('{"detail-type": ')).toThrow('event is not valid JSON');
  });

  it('throws if the event is over 256 KiB', () => {
    // Prepare
    const event = eventFixture('ingest-failed');
    event.detail.error = 'x'.repeat(MAX_EVENT_BYTES);

    // Act & Assess
    const bytes = Buffer.byteLength(JSON.stringify(event), 'utf8');
    expect(() => parseEvent(event)).toThrow(`IngestFailed: event is ${bytes} bytes, over EventBridge's limit of 262144 bytes (256 KiB)`);
    expect(() => parseEvent(JSON.stringify(event))).toThrow(`IngestFailed: event is ${bytes} bytes, over EventBridge's limit`);
  });

  it('gives the size alone when an event over the limit has no detail-type, or is not JSON', () => {
    // Prepare
    const text = `{"detail-type": "${'x'.repeat(MAX_EVENT_BYTES)}`;

    // Act & Assess
    expect(() => parseEvent({ detail: 'x'.repeat(MAX_EVENT_BYTES) })).toThrow(/^event is 262\d{3} bytes, over EventBridge's limit/);
    expect(() => parseEvent(text)).toThrow(`event is ${MAX_EVENT_BYTES + 17} bytes, over EventBridge's limit`);
  });

  it('cuts a long detail-type short in its message', () => {
    // Prepare
    const event = { ...eventFixture('raw-landed'), 'detail-type': 'A'.repeat(10_000) };

    // Act & Assess
    expect(() => parseEvent(event)).toThrow(`unknown detail-type "${'A'.repeat(64)}…"; floe handles`);
  });

  it('counts bytes, not characters, against the limit', () => {
    // Prepare: 'é' is two bytes in UTF-8, so 150 000 of them exceed 256 KiB
    const event = eventFixture('ingest-failed');
    event.detail.error = 'é'.repeat(150_000);

    // Act & Assess
    expect(() => parseEvent(event)).toThrow("over EventBridge's limit");
  });

  it('accepts an event just under the limit', () => {
    // Prepare
    const event = eventFixture('ingest-failed');
    const overhead = Buffer.byteLength(JSON.stringify(event), 'utf8') - Buffer.byteLength('"' + String(event.detail.error) + '"');
    event.detail.error = 'x'.repeat(MAX_EVENT_BYTES - overhead - 2);

    // Act
    const parsed = parseEvent(event);

    // Assess
    expect(Buffer.byteLength(JSON.stringify(event), 'utf8')).toBe(MAX_EVENT_BYTES);
    expect(parsed['detail-type']).toBe('IngestFailed');
  });
});
