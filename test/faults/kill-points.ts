import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { FAULT_POINTS } from '../../fault/fault-point.js';

const FAULT_PY = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'glue', 'floe_extract', 'fault.py');

/** The extraction job's points, read from `FaultPoint` in glue/floe_extract/fault.py, so a new one is enumerated too. */
export async function extractFaultPoints(): Promise<string[]> {
  const text = await readFile(FAULT_PY, 'utf8');
  const literal = /FaultPoint = Literal\[([\s\S]*?)\n\]/.exec(text)?.[1] ?? '';
  return [...literal.matchAll(/^\s*"([^"]+)",/gm)].map((match) => match[1] ?? '');
}

/** Every kill point of a local run, in the order a run reaches them: the job's own run between GlueStarted and its state change. */
export async function allKillPoints(): Promise<string[]> {
  const jobStarts = FAULT_POINTS.indexOf('bus:after-log:GlueStarted') + 1;
  return [...FAULT_POINTS.slice(0, jobStarts), ...(await extractFaultPoints()), ...FAULT_POINTS.slice(jobStarts)];
}

export const isExtractPoint = (point: string): boolean => point.startsWith('extract:');

/**
 * Points where the dead run still holds the table's lease: everything from taking it in
 * start-ingest to releasing it in load-and-merge. A job that dies is seen by floe, which ends the
 * run and frees the lease itself.
 */
export function leavesLease(point: string): boolean {
  if (isExtractPoint(point)) return false;
  return ![
    'bus:after-log:IngestRequested',
    // The watermark's commit frees the lease in the same write (StateStore.commitLoad).
    'load-and-merge:after-watermark',
    'load-and-merge:before-stage-merged',
    'bus:after-log:StageMerged',
    'build-gold:before-build',
    'warehouse:during-gold',
    'build-gold:after-build',
    'bus:after-log:GoldBuilt',
  ].includes(point);
}
