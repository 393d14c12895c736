export { ConfigError } from './errors.js';
export { loadConfig, parseConfig, type LoadConfigOptions } from './load.js';
export {
  CheckScheduleSchema,
  DeletesSchema,
  EngineSchema,
  FloeConfigSchema,
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
export { TableConfigSchema, toTableConfigs, type TableConfig } from './table-config.js';
export { selectTables, tableKey, type SelectedTable, type TableFilter } from './tables.js';
export { parseSnowflakeWarehouseUrl, SnowflakeSettingsSchema, type SnowflakeSettings, type SnowflakeWarehouseUrl } from './snowflake.js';
