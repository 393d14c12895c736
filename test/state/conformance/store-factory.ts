import type { StateStore } from '../../../state/store.js';

/** A fresh, empty store of the kind under test, with the given clock for `finishedAt` and commit times. */
export type StoreFactory = (options?: { now?: () => Date }) => Promise<StateStore>;
