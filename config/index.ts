export { ConfigError } from './errors.js';
export { loadConfig, parseConfig, type LoadConfigOptions } from './load.js';
export {
  CheckScheduleSchema,
  DEFAULT_MAX_CONNECTIONS,
  DeletesSchema,
  EngineSchema,
  FloeConfigSchema,
  MAX_PARTITIONS,
  ModeSchema,
  SourceConfigSchema,
  TableSpecSchema,
  type CheckSchedule,
  type Deletes,
  type Engine,
  type FloeConfig,
  type Mode,
  type SourceConfig,
  type TableSpec,
} from './schema.js';
export { maxConnectionsOf, TableConfigSchema, toTableConfigs, type TableConfig } from './table-config.js';
export { selectTables, tableKey, type SelectedTable, type TableFilter } from './tables.js';
export { parseSnowflakeWarehouseUrl, SnowflakeSettingsSchema, type SnowflakeSettings, type SnowflakeWarehouseUrl } from './snowflake.js';
export { ALLOWED_CONNECTION_PARAMETERS, CONNECTION_PARAMETERS_SET_BY_FLOE, connectionParameterProblem } from './connection-parameters.js';
export { printable, printableJson } from './printable.js';
export {
  missingOnRuntime,
  runtimeKind,
  type WarehouseCapability,
} from './warehouse-capabilities.js';
