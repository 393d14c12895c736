import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export const fixturePath = (name: string): string => fileURLToPath(new URL(`../fixtures/config/${name}`, import.meta.url));

/** The valid fixture as plain data, to build bad inputs from. */
export async function validConfigData(): Promise<Record<string, any>> {
  return parse(await readFile(fixturePath('floe.config.yaml'), 'utf8')) as Record<string, any>;
}

/** Write `content` (data as YAML, or raw text) as floe.config.yaml in a fresh folder; returns its path. */
export async function writeConfig(content: unknown): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'floe-config-'));
  const file = join(folder, 'floe.config.yaml');
  await writeFile(file, typeof content === 'string' ? content : stringify(content));
  return file;
}

export const ENV = { CLR_URL: 'postgresql://floe:s3cr3t-pw@127.0.0.1:5432/clr' };
