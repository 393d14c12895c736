import { describeLeaseContention } from './conformance/lease-contention.js';
import { describeLease } from './conformance/lease.js';
import { describeLoadCommit } from './conformance/load-commit.js';
import { describeRunHistory } from './conformance/run-history.js';
import { describeSourceSlots } from './conformance/source-slots.js';
import type { StoreFactory } from './conformance/store-factory.js';
import { describeTableConfig } from './conformance/table-config.js';
import { describeWatermark } from './conformance/watermark.js';

export type { StoreFactory } from './conformance/store-factory.js';

/**
 * Registers the suites every `StateStore` must pass: the local state file and
 * DynamoDB keep the same items by the same rules, so they run the same tests.
 */
export function describeStateStore(name: string, freshStore: StoreFactory): void {
  describeTableConfig(name, freshStore);
  describeLease(name, freshStore);
  describeWatermark(name, freshStore);
  describeLoadCommit(name, freshStore);
  describeRunHistory(name, freshStore);
  describeLeaseContention(name, freshStore);
  describeSourceSlots(name, freshStore);
}
