import type { Manifest } from '../events/index.js';

/** The raw layer as the handlers see it: where the extraction job lands, and its manifests. */
export interface RawStorage {
  /** The `--raw-root` the job is given: a local folder or `s3://bucket/prefix`. */
  readonly root: string;
  manifestUrl(runId: string): string;
  /** The run's manifest, or null when the job wrote none (it failed, or has not finished). */
  readManifest(runId: string): Promise<Manifest | null>;
}
