/**
 * What floe can do in each runtime, where not every runtime can yet. A capability a runtime lacks
 * is a missing implementation: config validation refuses a table asking for it, saying why,
 * instead of a run that fails every time. Every warehouse (DuckDB, Snowflake) has every capability
 * below (check/warehouse-side.ts has a check side for each).
 */

/**
 * `check`: reading staging next to the source, value by value (`floe check`, `check: after-merge`,
 * and delete detection, which compares primary keys the same way).
 */
export type WarehouseCapability = 'check';

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
