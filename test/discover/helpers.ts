import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Engine, SourceConfig } from '../../config/index.js';

export const PG_URL = process.env['FLOE_TEST_PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const MYSQL_URL = process.env['FLOE_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/floe_discover_test';

/** A source as loadConfig would return it, with no tables configured yet. */
export function sourceConfig(name: string, engine: Engine, connection: string): SourceConfig {
  return { name, engine, connection, maxConnections: 4, tables: [] };
}

/** Writes floe.config.yaml with one source whose `tables:` is the snippet, as a person would paste it. */
export async function writeConfigWithSnippet(engine: Engine, snippet: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'floe-discover-'));
  const file = join(folder, 'floe.config.yaml');
  const text = ['sources:', '  - name: src', `    engine: ${engine}`, '    connection: ${SOURCE_URL}', '    tables:', snippet].join('\n');
  await writeFile(file, text);
  return file;
}
