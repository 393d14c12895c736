import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { MAX_SPARK_PARTITIONS, sparkTableConfig } from '../../config/extraction-engine.js';
import type { TableConfig } from '../../config/index.js';
import { decideEngine, jobArgumentsFor, sparkCapacity, SPARK_BYTES_PER_WORKER } from '../../pipeline/extraction-engine.js';
import type { TableSizer } from '../../pipeline/ports.js';

const TABLE: TableConfig = {
  source: 'clr', table: 'clr.events', engine: 'postgres', primaryKey: ['id'], mode: 'incremental',
  incrementalColumn: 'updated_at', partitionColumn: 'id', partitions: 1, lookbackSeconds: 0, maxConnections: 64,
};
const sized = (bytes: number | null): TableSizer => async () => ({ rows: bytes === null ? null : bytes / 100, bytes });

describe('Pipeline: the engine of a run', () => {
  it('runs a table that says python or spark on that engine, whatever its size', async () => {
    // Act
    const python = await decideEngine({ ...TABLE, extractionEngine: 'python' }, sized(5e12));
    const spark = await decideEngine({ ...TABLE, extractionEngine: 'spark' }, sized(1e6));

    // Assess
    expect(python).toMatchObject({ engine: 'python', reason: 'engine: python' });
    expect(spark).toMatchObject({ engine: 'spark', reason: 'engine: spark; 2 × G.1X', capacity: { workerType: 'G.1X', workers: 2 } });
  });

  it('runs a repair run on the Python job, whatever the table says', async () => {
    // Act
    const decision = await decideEngine({ ...TABLE, extractionEngine: 'spark' }, sized(5e12), { repair: true });

    // Assess
    expect(decision).toMatchObject({ engine: 'python', reason: 'a repair run reads its keys on the Python job' });
  });

  it('picks Spark for auto at the threshold and Python below it, saying the sizes', async () => {
    // Prepare: the default threshold, 20 GB
    const table = { ...TABLE, extractionEngine: 'auto' as const };

    // Act
    const above = await decideEngine(table, sized(20e9));
    const below = await decideEngine(table, sized(19.9e9));

    // Assess
    expect(above).toMatchObject({ engine: 'spark', reason: 'auto: ~20 GB ≥ 20 GB; 2 × G.1X', estimate: { bytes: 20e9 } });
    expect(below).toMatchObject({ engine: 'python', reason: 'auto: ~19.9 GB < 20 GB' });
  });

  it('keeps auto on Python without a partition column, an estimate, or a sizer that answers', async () => {
    // Prepare
    const { partitionColumn: _unused, ...unsplittable } = TABLE;
    const failing: TableSizer = async () => {
      throw new Error('connect ECONNREFUSED');
    };

    // Act / Assess
    let sizerCalls = 0;
    const counting: TableSizer = async (table) => (sizerCalls += 1, sized(5e12)(table));
    expect(await decideEngine(unsplittable, counting)).toMatchObject({ engine: 'python', reason: 'auto: no partition column to split the read on' });
    // Such a table is never sized: a catalog query per table on every run buys nothing for it.
    expect(sizerCalls).toBe(0);
    expect(await decideEngine(TABLE, sized(null))).toMatchObject({ engine: 'python', reason: 'auto: no size estimate of the table yet' });
    expect(await decideEngine(TABLE, failing)).toMatchObject({ engine: 'python', estimate: null });
    expect(await decideEngine(TABLE, undefined)).toMatchObject({ engine: 'python' });
  });

  it('takes the threshold from the config', async () => {
    // Prepare
    const table = { ...TABLE, spark: sparkTableConfig({ autoAboveGb: 0.5, workerType: 'G.2X', maxWorkers: 10 }, undefined) };

    // Act
    const decision = await decideEngine(table, sized(1e9));

    // Assess
    expect(decision).toMatchObject({ engine: 'spark', capacity: { workerType: 'G.2X' } });
  });

  it('gives a Spark run one worker per 50 GB beside the driver, up to maxWorkers and the source maxConnections', () => {
    // Prepare
    const table = { ...TABLE, spark: sparkTableConfig({ autoAboveGb: 20, workerType: 'G.1X', maxWorkers: 20 }, undefined) };
    const bytes = (workers: number) => ({ rows: null, bytes: workers * SPARK_BYTES_PER_WORKER });

    // Act / Assess: 100 GB → 3; 1 TB → 21, capped at 20; 64 connections at 4 cores a worker → 17
    expect(sparkCapacity(table, bytes(2))).toEqual({ workerType: 'G.1X', workers: 3 });
    expect(sparkCapacity({ ...table, maxConnections: 1000 }, bytes(20))).toEqual({ workerType: 'G.1X', workers: 20 });
    expect(sparkCapacity(table, bytes(20))).toEqual({ workerType: 'G.1X', workers: 17 });
    expect(sparkCapacity({ ...table, maxConnections: 4 }, bytes(20))).toEqual({ workerType: 'G.1X', workers: 2 });
    expect(sparkCapacity({ ...table, spark: sparkTableConfig(undefined, { workers: 40, workerType: 'G.4X' }) }, bytes(1))).toEqual({ workerType: 'G.4X', workers: 40 });
  });

  it("gives the Spark job the partition column even without partitions, so it cuts the table by its size", () => {
    // Prepare
    const args = { '--run-id': 'r1', '--table': 'clr.events' };

    // Act / Assess
    expect(jobArgumentsFor({ engine: 'spark', reason: 'engine: spark', estimate: null }, TABLE, args)).toEqual({ ...args, '--partition-column': 'id' });
    expect(jobArgumentsFor({ engine: 'python', reason: 'engine: python', estimate: null }, TABLE, args)).toEqual(args);
  });

  it('allows the Spark job as many ranges as the job itself takes', () => {
    // Act
    const python = execFileSync(join(process.cwd(), '.venv', 'bin', 'python'), ['-c', 'from floe_extract.spark.run import MAX_SPARK_PARTITIONS; print(MAX_SPARK_PARTITIONS)'], { encoding: 'utf8' });

    // Assess
    expect(Number(python.trim())).toBe(MAX_SPARK_PARTITIONS);
  });
});
