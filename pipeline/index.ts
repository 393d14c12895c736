/**
 * The core: a run's lifecycle, decided here and nowhere else. One operation per step of the
 * choreography (start-run, finish-extraction, load-and-merge, build-gold, check-after-merge), each
 * checking its event against the run it names (expected-run.ts), fencing its effects with the
 * table's lease (lease.ts), and returning the events to publish; and the ports it needs (ports.ts).
 */
export * from './ports.js';
export * from './run.js';
export * from './expected-run.js';
export * from './refusal.js';
export * from './fail-run.js';
export * from './lease.js';
export * from './job-arguments.js';
export * from './start-run.js';
export * from './finish-extraction.js';
export * from './schema-changes.js';
export * from './delete-detection.js';
export * from './rollback-guard.js';
export * from './gold-behind.js';
export * from './repair.js';
export * from './load-and-merge.js';
export * from './build-gold.js';
export * from './check-after-merge.js';
export * from './retries-exhausted.js';
export * from './queued.js';
