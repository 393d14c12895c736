/** floe's event contracts: bus, schemas per event, envelope and parsing, manifest, routing. */
export * from './bus.js';
export * from './errors.js';
export * from './floe-detail.js';
export * from './ingest-requested.js';
export * from './glue-started.js';
export * from './glue-job-state-change.js';
export * from './raw-landed.js';
export * from './schema-change.js';
export * from './stage-merged.js';
export * from './gold-built.js';
export * from './ingest-failed.js';
export * from './check-completed.js';
export * from './event-refused.js';
export * from './envelope.js';
export * from './manifest.js';
export * from './floe-ingest.js';
export * from './routes.js';
