import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { FAULT_POINTS } from '../../runtime/fault.js';

const FAULT_PY = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'glue', 'floe_extract', 'fault.py');

/** The extraction job's points, read from `FaultPoint` in glue/floe_extract/fault.py, so a new one is enumerated too. */
export async function extractFaultPoints(): Promise<string[]> {
  const text = await readFile(FAULT_PY, 'utf8');
  const literal = /FaultPoint = Literal\[([\s\S]*?)\n\]/.exec(text)?.[1] ?? '';
  return [...literal.matchAll(/^\s*"([^"]+)",/gm)].map((match) => match[1] ?? '');
}

/**
 * Every kill point of a local run, in the order a run reaches them (the bus's points sit between
 * the step that publishes and the step that reacts).
 */
export async function allKillPoints(): Promise<string[]> {
  const extract = await extractFaultPoints();
  const order = [
    'bus:after-log:IngestRequested',
    'start-ingest:after-lease',
    'start-ingest:after-run-recorded',
    'start-ingest:after-job-started',
    'bus:after-log:GlueStarted',
    ...extract,
    'bus:after-log:Glue Job State Change',
    'glue-finished:after-manifest-read',
    'glue-finished:before-raw-landed',
    'bus:after-log:RawLanded',
    'load-and-merge:before-load',
    'warehouse:during-raw-load',
    'load-and-merge:after-raw-load',
    'warehouse:during-merge',
    'load-and-merge:after-merge',
    'load-and-merge:after-deletes',
    'load-and-merge:after-watermark',
    'load-and-merge:before-stage-merged',
    'bus:after-log:StageMerged',
    'build-gold:before-build',
    'warehouse:during-gold',
    'build-gold:after-build',
    'bus:after-log:GoldBuilt',
  ];
  const missing = FAULT_POINTS.filter((point) => !order.includes(point));
  if (missing.length > 0) throw new Error(`runtime/fault.ts has points the suite does not place: ${missing.join(', ')}`);
  return order;
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
    'load-and-merge:before-stage-merged',
    'bus:after-log:StageMerged',
    'build-gold:before-build',
    'warehouse:during-gold',
    'build-gold:after-build',
    'bus:after-log:GoldBuilt',
  ].includes(point);
}
