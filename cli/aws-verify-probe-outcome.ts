import { z } from 'zod';

import { fail, ok, skipped, type VerifyLine } from './verify-line.js';

/** The probe's steps, in the order glue/floe_extract/probe.py runs them. */
export const PROBE_STEPS = ['secret', 'source', 'raw bucket'] as const;

/**
 * What a probe run writes to `_probe/<run id>.json` in the raw root (glue/floe_extract/probe.py);
 * its texts are redacted by the job.
 * @example
 * {"runId":"probe-20251106T0100-1a2b3c-1","engine":"postgres","table":"clr.users","ok":false,
 *  "steps":[{"step":"secret","ok":true,"detail":"resolved postgres://floe@clr.abc.rds.amazonaws.com:5432/clr"},
 *           {"step":"source","ok":false,"error":"SourceUnavailableError: cannot connect to postgres://floe@clr.abc.rds.amazonaws.com:5432/clr: timeout expired"},
 *           {"step":"raw bucket","ok":true,"detail":"wrote and deleted s3://floe-raw/_probe/probe-20251106T0100-1a2b3c-1.marker"}]}
 */
export const ProbeOutcomeSchema = z.object({
  runId: z.string(),
  ok: z.boolean(),
  steps: z.array(z.object({ step: z.string(), ok: z.boolean(), detail: z.string().optional(), error: z.string().optional() })),
});
export type ProbeOutcome = z.infer<typeof ProbeOutcomeSchema>;

/** What to change when a step failed; the source step's depends on whether the job got in at all. */
function fixFor(step: string, error: string, source: string): string {
  if (step === 'secret') {
    return "the secret's ARN in context floe:sourceSecrets must exist; the job's role reads it (and its KMS key) through the stack's grants, " +
      "and reaches Secrets Manager through its interface endpoint in the sources' VPC (context floe:network)";
  }
  if (step === 'source' && error.startsWith('SourceUnavailableError')) {
    return `the database must admit the job: its security group must allow the job's security group on the database's port (context floe:network, sources.${source}), ` +
      "and the secret's host and port must be the database's";
  }
  if (step === 'source' && error.startsWith('SourceRefusedError')) {
    return "the database answered and refused the job: the secret's username, password and dbname must be the database's, and its TLS settings what the server offers";
  }
  if (step === 'source' && error.startsWith('SourceSchemaError')) return "the table must exist as configured (schema.table), and the secret's user see it";
  if (step === 'source') return "the secret's user must see the table and may SELECT it (GRANT SELECT)";
  if (step === 'raw bucket') {
    return "the job's role must write the raw bucket (the stack grants it), and the job reach S3 through the gateway endpoint on its subnets' route tables";
  }
  return 'read the job\'s words below';
}

/** One line per probe step: ok with what it did, FAIL with the fix and the job's (redacted) error, or not tried. */
export function outcomeLines(outcome: ProbeOutcome, checkName: (step: string) => string, source: string): VerifyLine[] {
  const lines: VerifyLine[] = [];
  const failedBefore: string[] = [];
  for (const step of PROBE_STEPS) {
    const found = outcome.steps.find((candidate) => candidate.step === step);
    if (found === undefined) {
      lines.push(skipped(checkName(step), failedBefore.length > 0 ? `not tried: the ${failedBefore.join(', ')} step failed` : 'not in the outcome'));
    } else if (found.ok) {
      lines.push(ok(checkName(step), found.detail ?? 'passed'));
    } else {
      failedBefore.push(step);
      lines.push(fail(checkName(step), 'failed', fixFor(step, found.error ?? '', source), { by: 'the job', error: found.error ?? '(no error text)' }));
    }
  }
  return lines;
}
