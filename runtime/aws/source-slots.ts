import { maxConnectionsOf } from '../../config/index.js';
import { GLUE_JOB_STATE_CHANGE, type FloeEvent } from '../../events/index.js';
import { JOB_TIMEOUT_MINUTES, type JobCapacity, type JobStarter } from '../../pipeline/index.js';
import type { StateStore } from '../../state/index.js';
import { JobStartError } from './glue-job-starter.js';

/**
 * A share outlives its job run by at most this: a job ends within its timeout, and glue-finished
 * gives the share back when it does; a share whose end was never delivered expires here instead.
 */
export const SLOT_TTL_MS = (JOB_TIMEOUT_MINUTES + 15) * 60 * 1000;

/** The run a job run's share is held under: its table's run, or a batch's first (`_batches/<run id>.json`). */
function holderOf(jobArguments: Record<string, string>): string {
  const batch = jobArguments['--batch'];
  if (batch !== undefined) return batch.slice(batch.lastIndexOf('/') + 1).replace(/\.json$/, '');
  return jobArguments['--run-id'] ?? '';
}

/**
 * The AWS twin of runtime/local/source-gate.ts: a job run starts only once it holds its share of
 * its source's `maxConnections` in the state store (a table its parts, a Spark run or a batch the
 * limit; a batch takes what is free, and its `--max-connections` says so). With none free, the start
 * is refused as Glue's own concurrency limits are, so start-ingest puts the request in its
 * start-later queue (start-later.ts) instead of failing it; glue-finished gives the share back when
 * the job run ends ({@link releaseSlotsOfJobRun}).
 */
export class SourceSlotsJobStarter implements JobStarter {
  readonly jobName: string;

  constructor(private readonly inner: JobStarter, private readonly state: StateStore, private readonly spark = false) {
    this.jobName = inner.jobName;
  }

  async startJobRun(jobArguments: Record<string, string>, capacity?: JobCapacity): Promise<{ jobRunId: string }> {
    const source = jobArguments['--database'] ?? '';
    const holder = holderOf(jobArguments);
    const batch = jobArguments['--max-connections'];
    const limit = batch !== undefined ? Number(batch) : await this.limitOfTable(source, jobArguments['--table'] ?? '');
    const want = this.spark || batch !== undefined ? limit : Math.min(limit, Number(jobArguments['--partitions'] ?? 1));
    const least = batch !== undefined ? 1 : want;
    const grant = await this.state.acquireSourceSlots(source, holder, want, limit, new Date(), SLOT_TTL_MS);
    if (grant.granted < least) {
      if (grant.granted > 0) await this.state.releaseSourceSlots(source, holder);
      const others = grant.holders.filter((held) => held.holder !== holder).map((held) => `run ${held.holder} holds ${held.slots}`).join(', ');
      throw new JobStartError(
        `source ${source}: its ${limit} connection(s) (maxConnections) are taken (${others || 'by others'}); the start of run ${holder} waits for a job run to end`,
        { retryable: true, concurrencyLimit: true },
      );
    }
    try {
      return await this.inner.startJobRun(batch !== undefined ? { ...jobArguments, '--max-connections': String(grant.granted) } : jobArguments, capacity);
    } catch (error) {
      await this.state.releaseSourceSlots(source, holder);
      throw error;
    }
  }

  private async limitOfTable(source: string, table: string): Promise<number> {
    const config = await this.state.getTableConfig(source, table);
    // No config: start-run has already failed such a run (UnknownTable) before asking for a job.
    return config === null ? 1 : maxConnectionsOf(config);
  }
}

/** A job run ended: each of its runs gives back the source connections it held (none held is fine). */
export async function releaseSlotsOfJobRun(state: StateStore, event: FloeEvent): Promise<void> {
  if (event['detail-type'] !== GLUE_JOB_STATE_CHANGE) return;
  const runs = await state.findRunsByJobRunId(event.detail.jobRunId);
  await Promise.all(runs.map((run) => state.releaseSourceSlots(run.source, run.runId)));
}
