/**
 * Each command's usage line: what `floe --help` lists, and what a command prints for arguments it
 * cannot take. Kept apart from the commands so that help and a mistyped command load none of them.
 */
export const USAGE = {
  init: 'floe init (--url-env VAR | --url URL | --from CONFIG [--source S]) [--name NAME] [--schema X] [--out floe.config.yaml] [--force]',
  run: 'floe run [--config floe.config.yaml] [--source S] [--table T] [--full]',
  status: 'floe status [--config floe.config.yaml] [--source S] [--table T] [--json]',
  logs: 'floe logs <run-id> [--config floe.config.yaml] [--json]',
  discover: 'floe discover --source S [--config floe.config.yaml] [--schema X]',
  replay: 'floe replay <run-id> [--from IngestRequested|RawLanded|StageMerged] [--config floe.config.yaml]',
  push: 'floe push [--config floe.config.yaml]',
  unlock: 'floe unlock <run-id> [--config floe.config.yaml]',
  check: 'floe check [--config floe.config.yaml] [--source S] [--table T] [--json] [--repair]',
  snowflake: 'floe snowflake ddl|apply|verify [--config floe.config.yaml] [--manifest FILE]... [--raw-url s3://bucket/prefix]',
  aws: 'floe aws verify [--config floe.config.yaml] [--stack NAME] [--wait-minutes 15]',
  report: 'floe report [--config floe.config.yaml] [--source S] [--table T] [--out floe-report.html]',
} as const;

export type CommandName = keyof typeof USAGE;
