export { StateError } from './errors.js';
export * from './items.js';
export { LocalStateStore, type LocalStateStoreOptions } from './local.js';
export type { ListRunsQuery, LoadCommit, StartRunOptions, StateStore } from './store.js';
