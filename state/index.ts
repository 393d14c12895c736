export { StateError } from './errors.js';
export * from './items.js';
export { LocalStateStore, type LocalStateStoreOptions } from './local.js';
export type { ListRunsQuery, StartRunOptions, StateStore } from './store.js';
