import { setTimeout as sleep } from 'node:timers/promises';

import type { StateStore } from '../../state/index.js';

/** How long a share is held without renewal: a floe killed while holding one frees it this soon after. */
export const SLOT_TTL_MS = 60_000;
const RENEW_EVERY_MS = SLOT_TTL_MS / 3;
const FIRST_POLL_MS = 100;
const MOST_POLL_MS = 2_000;

/** Connections held on a source, renewed until released. */
export interface Share {
  granted: number;
  release(): Promise<void>;
}

export interface SourceGateOptions {
  state: Pick<StateStore, 'acquireSourceSlots' | 'releaseSourceSlots'>;
  /** Each source's `maxConnections`. */
  limits: ReadonlyMap<string, number>;
  /** Said once per wait, when a holder finds the source's connections all taken. */
  onQueued?: (message: string) => void;
  ttlMs?: number;
}

/**
 * Every source connection `floe run` and `floe check` open goes through here: the job runs, the
 * checks after merge, delete detection, size estimates. Each takes a share of its source's
 * `maxConnections` from the state store (the same slots across processes: a `floe check` beside
 * a `floe run` counts against the same limit) and waits, queued, while the source has none free;
 * a share is renewed while held and given back when the work ends, and one left by a killed
 * process expires after {@link SLOT_TTL_MS}.
 */
export class SourceGate {
  private readonly ttlMs: number;

  constructor(private readonly options: SourceGateOptions) {
    this.ttlMs = options.ttlMs ?? SLOT_TTL_MS;
  }

  /** The source's limit; a source the config does not name has no slots to take. */
  limitOf(source: string): number {
    const limit = this.options.limits.get(source);
    if (limit === undefined) throw new Error(`source ${source} is not in the config`);
    return limit;
  }

  /**
   * Runs `work` holding `granted` of the source's connections: at least `least`, at most `want`
   * (each capped at the limit), whatever was free once at least `least` were.
   */
  async hold<T>(source: string, holder: string, range: { want: number; least?: number }, work: (granted: number) => Promise<T>): Promise<T> {
    const held = await this.take(source, holder, range);
    try {
      return await work(held.granted);
    } finally {
      await held.release();
    }
  }

  /** {@link hold} for work that is not one call: the share is held, and renewed, until `release`. */
  async take(source: string, holder: string, range: { want: number; least?: number }): Promise<Share> {
    const { limit, want, least } = this.bounds(source, range);
    return this.held(source, holder, await this.acquire(source, holder, want, least, limit), limit);
  }

  /** {@link take} without waiting: null when the source has too few connections free now. */
  async tryTake(source: string, holder: string, range: { want: number; least?: number }): Promise<Share | null> {
    const { limit, want, least } = this.bounds(source, range);
    const grant = await this.options.state.acquireSourceSlots(source, holder, want, limit, new Date(), this.ttlMs);
    if (grant.granted >= least) return this.held(source, holder, grant.granted, limit);
    if (grant.granted > 0) await this.options.state.releaseSourceSlots(source, holder);
    return null;
  }

  private bounds(source: string, range: { want: number; least?: number }): { limit: number; want: number; least: number } {
    const limit = this.limitOf(source);
    const want = Math.max(1, Math.min(range.want, limit));
    return { limit, want, least: Math.max(1, Math.min(range.least ?? want, want)) };
  }

  private held(source: string, holder: string, granted: number, limit: number): Share {
    const renewal = setInterval(() => {
      void this.options.state.acquireSourceSlots(source, holder, granted, limit, new Date(), this.ttlMs).catch(() => undefined);
    }, RENEW_EVERY_MS);
    renewal.unref();
    return {
      granted,
      release: async () => {
        clearInterval(renewal);
        await this.options.state.releaseSourceSlots(source, holder);
      },
    };
  }

  /**
   * Runs `work` holding one connection if one is free now, else returns null without waiting: for
   * what may be skipped (a size estimate) rather than hold up the run behind a job.
   */
  async holdIfFree<T>(source: string, holder: string, work: () => Promise<T>): Promise<T | null> {
    const share = await this.tryTake(source, holder, { want: 1 });
    if (share === null) return null;
    try {
      return await work();
    } finally {
      await share.release();
    }
  }

  private async acquire(source: string, holder: string, want: number, least: number, limit: number): Promise<number> {
    let pollMs = FIRST_POLL_MS;
    let said = false;
    for (;;) {
      const grant = await this.options.state.acquireSourceSlots(source, holder, want, limit, new Date(), this.ttlMs);
      if (grant.granted >= least) return grant.granted;
      // Too few to start with: give back what this call took, so waiting holds nothing.
      if (grant.granted > 0) await this.options.state.releaseSourceSlots(source, holder);
      if (!said) {
        said = true;
        const others = grant.holders.filter((held) => held.holder !== holder).map((held) => `${held.holder} holds ${held.slots}`);
        this.options.onQueued?.(`${holder} queued: source ${source}'s ${limit} connection(s) (maxConnections) are taken (${others.join(', ') || 'by others'}); it starts when enough are free`);
      }
      await sleep(pollMs);
      pollMs = Math.min(MOST_POLL_MS, pollMs * 2);
    }
  }
}
