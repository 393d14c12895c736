import { StateError } from './errors.js';
import type { SlotGrant, SlotHolder, SourceSlots } from './items.js';

/** What `acquireSourceSlots` is asked: `holder` wants `want` of the source's `limit` connection slots for `ttlMs` from `now`. */
export interface SlotRequest {
  source: string;
  holder: string;
  want: number;
  limit: number;
  now: Date;
  ttlMs: number;
}

/** Refuse a request no store can answer: the caller's mistake, so not retryable. */
export function checkSlotRequest(request: SlotRequest): void {
  const refuse = (problem: string): never => {
    throw new StateError(`source slots of ${JSON.stringify(request.source)} for ${JSON.stringify(request.holder)}: ${problem}`, { retryable: false });
  };
  if (request.source === '' || request.source.includes('/')) refuse("a source name is not empty and holds no '/' (the slots' key is the source name alone)");
  if (request.holder === '') refuse('the holder is empty; name the run or job run that holds the connections');
  if (!Number.isInteger(request.want) || request.want < 0) refuse(`want must be a whole number of slots, 0 or more, got ${request.want}`);
  if (!Number.isInteger(request.limit) || request.limit < 0) refuse(`limit must be a whole number of slots, 0 or more, got ${request.limit}`);
  if (!(request.ttlMs > 0)) refuse(`the ttl must be a positive number of milliseconds, got ${request.ttlMs}`);
  if (Number.isNaN(request.now.getTime())) refuse('now is not a valid time');
}

const byHolder = (a: SlotHolder, b: SlotHolder): number => (a.holder < b.holder ? -1 : a.holder > b.holder ? 1 : 0);
const sameHolders = (a: readonly SlotHolder[], b: readonly SlotHolder[]): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The grant both stores make, from the item as read: `min(want, limit - slots of unexpired other
 * holders)`, possibly 0. The holder's own earlier share does not count against it, so asking again
 * renews (a new expiry) and may grow or shrink the share instead of adding to it; a grant of 0
 * leaves the holder holding nothing. Expired holders are dropped. `next` is the item to write, with
 * its version one higher; null when nothing changes.
 */
export function grantSlots(current: SourceSlots | null, request: SlotRequest): { next: SourceSlots | null; grant: SlotGrant } {
  const now = request.now.getTime();
  const others = (current?.holders ?? []).filter((held) => held.holder !== request.holder && Date.parse(held.expiresAt) > now);
  const free = request.limit - others.reduce((sum, held) => sum + held.slots, 0);
  const granted = Math.max(0, Math.min(request.want, free));
  const mine = { holder: request.holder, slots: granted, expiresAt: new Date(now + request.ttlMs).toISOString() };
  const holders = (granted === 0 ? others : [...others, mine]).sort(byHolder);
  const grant = { granted, holders };
  if (current !== null && sameHolders(current.holders, holders)) return { next: null, grant };
  return { next: { source: request.source, version: (current?.version ?? 0) + 1, holders }, grant };
}

/** The item without `holder`'s share, version one higher; null when it holds none (releasing is idempotent). */
export function releaseSlots(current: SourceSlots | null, holder: string): SourceSlots | null {
  if (current === null || !current.holders.some((held) => held.holder === holder)) return null;
  return { ...current, version: current.version + 1, holders: current.holders.filter((held) => held.holder !== holder) };
}
