import { z } from 'zod';

/**
 * How the extraction job retries a run that failed in a way that may pass (the source unreachable
 * or its connection dropped, the raw storage refusing a write): the whole extraction again, after
 * a wait that starts at `backoffSeconds` and doubles, never longer than `maxBackoffSeconds`.
 * Errors no retry can fix (a missing column, bad arguments) fail at once.
 *
 * Written per source, and per table over its source's, key by key; what neither sets comes from
 * {@link DEFAULT_RETRY} when start-ingest builds the job's arguments.
 *
 * @example
 * ```yaml
 * sources:
 *   - name: clr
 *     retry: { attempts: 3, backoffSeconds: 5, maxBackoffSeconds: 60 }
 *     tables:
 *       - name: clr.users
 *         primaryKey: [id]
 *         retry: { attempts: 5 }     # backoffSeconds and maxBackoffSeconds from the source
 * ```
 * @see ../glue/README.md (`--retry-attempts`, `--retry-backoff-seconds`, `--retry-max-backoff-seconds`)
 */
export const RetrySettingsSchema = z.strictObject({
  /** Attempts in all, the first included; 1 means no retry. */
  attempts: z.number().optional(),
  /** The wait after the first failed attempt, in seconds; each later wait doubles. */
  backoffSeconds: z.number().optional(),
  /** The longest single wait, in seconds. */
  maxBackoffSeconds: z.number().optional(),
});
export type RetrySettings = z.infer<typeof RetrySettingsSchema>;

export interface RetryPolicy {
  attempts: number;
  backoffSeconds: number;
  maxBackoffSeconds: number;
}

/** Three attempts, waiting 5 s and then 10 s. */
export const DEFAULT_RETRY: Readonly<RetryPolicy> = { attempts: 3, backoffSeconds: 5, maxBackoffSeconds: 60 };

/** Bounds that keep every retry of a run well inside the table's lease (6 h): at most 9 waits of 15 min. */
export const RETRY_LIMITS = { attempts: 10, seconds: 900 } as const;

/** The table's settings over its source's, key by key; undefined when neither sets any. */
export function mergeRetry(source: RetrySettings | undefined, table: RetrySettings | undefined): RetrySettings | undefined {
  const merged: RetrySettings = {};
  for (const key of ['attempts', 'backoffSeconds', 'maxBackoffSeconds'] as const) {
    const value = table?.[key] ?? source?.[key];
    if (value !== undefined) merged[key] = value;
  }
  return Object.keys(merged).length === 0 ? undefined : merged;
}

/** Settings completed from {@link DEFAULT_RETRY}. */
export function retryPolicy(settings: RetrySettings | undefined): RetryPolicy {
  return {
    attempts: settings?.attempts ?? DEFAULT_RETRY.attempts,
    backoffSeconds: settings?.backoffSeconds ?? DEFAULT_RETRY.backoffSeconds,
    maxBackoffSeconds: settings?.maxBackoffSeconds ?? DEFAULT_RETRY.maxBackoffSeconds,
  };
}

export interface RetryProblem {
  /** Below the `retry` key: `['attempts']`. */
  path: ['attempts' | 'backoffSeconds' | 'maxBackoffSeconds'];
  message: string;
}

/**
 * What is wrong with one `retry` mapping. `inherited` is what applies where this mapping is silent
 * (the source's settings for a table), so a cap below a wait set at the other level is caught too.
 */
export function retryProblems(settings: RetrySettings, inherited: RetrySettings | undefined = undefined): RetryProblem[] {
  const problems: RetryProblem[] = [];
  const { attempts, backoffSeconds, maxBackoffSeconds } = settings;
  if (attempts !== undefined && (!Number.isInteger(attempts) || attempts < 1 || attempts > RETRY_LIMITS.attempts)) {
    problems.push({ path: ['attempts'], message: `expected a whole number from 1 (no retry) to ${RETRY_LIMITS.attempts}, got ${attempts}` });
  }
  for (const key of ['backoffSeconds', 'maxBackoffSeconds'] as const) {
    const value = settings[key];
    if (value !== undefined && (value < 0 || value > RETRY_LIMITS.seconds)) {
      problems.push({ path: [key], message: `expected seconds from 0 to ${RETRY_LIMITS.seconds}, got ${value}` });
    }
  }
  if (problems.length > 0 || (backoffSeconds === undefined && maxBackoffSeconds === undefined)) return problems;
  const effective = retryPolicy(mergeRetry(inherited, settings));
  if (effective.maxBackoffSeconds < effective.backoffSeconds) {
    const origin = (key: 'backoffSeconds' | 'maxBackoffSeconds'): string =>
      settings[key] !== undefined ? '' : inherited?.[key] !== undefined ? ' (from the source)' : ' (the default)';
    problems.push({
      path: [maxBackoffSeconds !== undefined ? 'maxBackoffSeconds' : 'backoffSeconds'],
      message:
        `maxBackoffSeconds ${effective.maxBackoffSeconds}${origin('maxBackoffSeconds')} is below ` +
        `backoffSeconds ${effective.backoffSeconds}${origin('backoffSeconds')}; the cap must be at least the first wait`,
    });
  }
  return problems;
}
