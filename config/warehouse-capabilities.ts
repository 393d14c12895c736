import { ConfigError } from './errors.js';

/**
 * What floe can do on each kind of warehouse, where not every kind can yet. A capability a
 * warehouse lacks is a missing implementation: config validation refuses a table asking for it,
 * and a command needing it refuses to start, each saying why, instead of a run that fails every
 * time. The implementations live elsewhere (check/warehouse-side.ts for `check`); a test holds
 * this table and them to each other.
 */

export type WarehouseKind = 'duckdb' | 'snowflake';

/**
 * `check`: reading staging next to the source, value by value (`floe check`, `check: after-merge`,
 * and delete detection, which compares primary keys the same way).
 */
export type WarehouseCapability = 'check';

/** Why a kind of warehouse lacks a capability; absent: it has it. */
const MISSING: Readonly<Record<WarehouseKind, Partial<Readonly<Record<WarehouseCapability, string>>>>> = {
  duckdb: {},
  snowflake: {},
};

/** The kind of a `warehouse:` URL (`duckdb://…` or `snowflake://…`). */
export function warehouseKind(warehouseUrl: string): WarehouseKind {
  return warehouseUrl.startsWith('snowflake://') ? 'snowflake' : 'duckdb';
}

/** Why a kind of warehouse cannot do `capability`, or null when it can. */
export function missingOn(kind: WarehouseKind, capability: WarehouseCapability): string | null {
  return MISSING[kind][capability] ?? null;
}

/** Why the config's warehouse (its `warehouse:` URL) cannot do `capability`, or null when it can. */
export function missingCapability(warehouseUrl: string, capability: WarehouseCapability): string | null {
  return missingOn(warehouseKind(warehouseUrl), capability);
}

/** Where runs happen: `aws` when the state store is DynamoDB (the deployed stack), else `local`. */
export type RuntimeKind = 'local' | 'aws';

/** The runtime of a `state:` location (`dynamodb`, `dynamodb://<stack>` or a folder). */
export function runtimeKind(stateLocation: string): RuntimeKind {
  return /^dynamodb(:|$)/.test(stateLocation) ? 'aws' : 'local';
}

/** Why a runtime lacks a capability; absent: it has it. */
const MISSING_ON_RUNTIME: Readonly<Record<RuntimeKind, Partial<Readonly<Record<WarehouseCapability, string>>>>> = {
  local: {},
  aws: {
    check:
      "on AWS the comparison would run in the check-after-merge Lambda, which is outside the sources' VPC and holds none of their " +
      'secrets; it is not built there yet, so every check would fail after every merge',
  },
};

/** Why the config's runtime (its `state:` store) cannot do `capability`, or null when it can. */
export function missingOnRuntime(stateLocation: string, capability: WarehouseCapability): string | null {
  return MISSING_ON_RUNTIME[runtimeKind(stateLocation)][capability] ?? null;
}

/** What a table asks for that needs a capability, as config validation words it. */
export const CAPABILITY_USES: Readonly<Record<'check' | 'deletes', { capability: WarehouseCapability; what: string }>> = {
  check: { capability: 'check', what: 'check: after-merge compares staging with the source after each merge' },
  deletes: { capability: 'check', what: "deletes compares the source's primary keys with staging's after each merge" },
};

/**
 * For a command that needs a capability (`floe check`): throws a ConfigError, before anything
 * connects, when the config's warehouse lacks it.
 *
 * @example requireWarehouseCapability(config, 'check', 'floe check') // throws where MISSING names the warehouse's kind
 */
export function requireWarehouseCapability(config: { readonly warehouse: string }, capability: WarehouseCapability, command: string, file?: string): void {
  const missing = missingCapability(config.warehouse, capability);
  if (missing === null) return;
  const problem = `warehouse: ${command} cannot run on a ${warehouseKind(config.warehouse)} warehouse: ${missing}. Use a duckdb:// warehouse for it.`;
  throw file === undefined ? new ConfigError(problem, { problems: [problem] }) : ConfigError.fromProblems(file, [problem]);
}
