import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { StateError } from './errors.js';

/** An item's file content: indented JSON, so a person can read (and, with floe stopped, fix) it. */
export const itemText = (item: unknown): string => `${JSON.stringify(item, null, 2)}\n`;

/** The text of an item's file; null when there is none. Synchronous: a small file in the page cache (see `atomic-file.ts`). */
export async function readItemText(file: string): Promise<string | null> {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StateError(`cannot read ${file}`, { retryable: true, cause: error });
  }
}

/** Parse an item's file text with its schema; a file floe did not write whole is an error naming it. */
export function parseItem<S extends z.ZodType>(file: string, text: string, schema: S): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StateError(`${file} is not valid JSON; floe writes every state file whole (a temp file renamed over it), so restore it from a backup or delete it`, {
      retryable: false,
      cause: error,
    });
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new StateError(`${file} is not a floe state item (${issue?.path.map(String).join('.') ?? ''}: ${issue?.message ?? 'invalid'}); restore it from a backup or delete it`, {
    retryable: false,
    cause: parsed.error,
  });
}

/** The item in `file`, validated; null when there is none. Lock-free: files are only ever replaced whole. */
export async function readItem<S extends z.ZodType>(file: string, schema: S): Promise<z.infer<S> | null> {
  const text = await readItemText(file);
  return text === null ? null : parseItem(file, text, schema);
}
