import { tableKey, toTableConfigs, type FloeConfig, type TableConfig } from '../config/index.js';
import type { StateStore } from '../state/index.js';
import { fail, ok, skipped, type VerifyLine } from './verify-line.js';
import { REDEPLOY, type StackOutputs } from './aws-verify-stack.js';

/** `state: dynamodb` is the stack named Floe (cli/state-store.ts). */
function stateOf(config: FloeConfig): string {
  return config.state === 'dynamodb' ? 'dynamodb://Floe' : config.state;
}

/** The config's `state:` and `raw:` name this stack's tables and bucket, as the Lambdas know them. */
export function checkConfigNamesStack(config: FloeConfig, configFile: string, outputs: StackOutputs): VerifyLine[] {
  const lines: VerifyLine[] = [];
  const pairs = [['state', stateOf(config), outputs.StateStore, 'StateStore'], ['raw', config.raw, outputs.RawRoot, 'RawRoot']] as const;
  for (const [key, value, output, name] of pairs) {
    const check = `${configFile}: ${key}`;
    if (output === undefined) lines.push(skipped(check, `the stack has no ${name} output`));
    else if (value.replace(/\/+$/, '') === output.replace(/\/+$/, '')) lines.push(ok(check, `${value} is the stack's ${name}`));
    else lines.push(fail(check, `${value} is not the stack's ${name} (${output})`, `set ${key}: ${output} in ${configFile}`));
  }
  return lines;
}

/** The sources' secrets as start-ingest has them (the SourceSecrets output, FLOE_SOURCE_SECRETS): source → `<arn>[?address]`. */
export function parseSourceSecrets(output: string | undefined): ReadonlyMap<string, string> | undefined {
  if (output === undefined) return undefined;
  try {
    const parsed = JSON.parse(output) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    return new Map(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return undefined;
  }
}

/** Every source of the config has a secret in the stack: start-ingest fails a run of a source without one. */
export function checkSourceSecrets(config: FloeConfig, secrets: ReadonlyMap<string, string> | undefined): VerifyLine {
  const check = 'source secrets (context floe:sourceSecrets)';
  if (secrets === undefined) return skipped(check, 'the stack has no readable SourceSecrets output');
  const missing = config.sources.map((source) => source.name).filter((name) => !secrets.has(name));
  if (missing.length > 0) {
    return fail(check, `source(s) ${missing.join(', ')} have no secret in the stack, so every run of them fails`,
      `add each to context floe:sourceSecrets ({"<source>": "<secret ARN>"}) and ${REDEPLOY}`);
  }
  return ok(check, `a secret for each of ${config.sources.map((source) => source.name).join(', ')}`);
}

/** The keys whose values differ between two table configs, as `key: stored X, file Y`. */
function differences(stored: TableConfig, wanted: TableConfig): string[] {
  const keys = [...new Set([...Object.keys(stored), ...Object.keys(wanted)])].sort();
  const shown = (value: unknown) => (value === undefined ? 'unset' : JSON.stringify(value));
  return keys.flatMap((key) => {
    const [a, b] = [stored[key as keyof TableConfig], wanted[key as keyof TableConfig]];
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${key} is ${shown(a)} there, ${shown(b)} in the file`];
  });
}

/**
 * The table config items in the stack's DynamoDB table against the file's: what start-ingest and
 * request-ingest will use. Returns the stored items (for the probes) with the line.
 */
export async function checkTableConfig(
  config: FloeConfig, configFile: string, state: StateStore, tableName: string,
): Promise<{ line: VerifyLine; stored: ReadonlyMap<string, TableConfig> }> {
  const check = `table config in DynamoDB table ${tableName}`;
  const stored = new Map<string, TableConfig>();
  const wanted = toTableConfigs(config);
  const problems: string[] = [];
  const extra: string[] = [];
  try {
    for (const table of wanted) {
      const item = await state.getTableConfig(table.source, table.table);
      const key = tableKey(table.source, table.table);
      if (item === null) {
        problems.push(`${key} missing`);
        continue;
      }
      stored.set(key, item);
      const differ = differences(item, table);
      if (differ.length > 0) problems.push(`${key}: ${differ.join(', ')}`);
    }
    for (const source of config.sources) {
      const names = new Set(source.tables.map((table) => table.name));
      for (const item of await state.listTableConfigs(source.name)) if (!names.has(item.table)) extra.push(tableKey(item.source, item.table));
    }
  } catch (error) {
    return {
      line: fail(check, 'could not be read', `check that the stack's tables exist and these credentials may read ${tableName}`, { by: 'DynamoDB', error }),
      stored,
    };
  }
  if (problems.length > 0) {
    return { line: fail(check, `differs from ${configFile}: ${problems.join('; ')}`, `push the file: floe push --config ${configFile}`), stored };
  }
  const also = extra.length === 0 ? '' : `; it also holds ${extra.join(', ')}, not in the file (FLOE_INGEST(source, NULL) still requests them)`;
  return { line: ok(check, `${wanted.length} table(s), the same as ${configFile}${also}`), stored };
}
