import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './atomic-file.js';
import { itemText, parseItem, readItemText } from './local-item-file.js';
import type { LocalLayout } from './local-layout.js';

/**
 * A change of several items in flight: each item's new text, and a digest of the text it replaces
 * (null: the item did not exist). Paths are relative to the state folder, so a moved folder still replays.
 */
const JournalSchema = z.object({
  writes: z.array(z.object({ file: z.string().min(1), before: z.string().nullable(), content: z.string() })),
});

const digest = (text: string | null): string | null => (text === null ? null : createHash('sha256').update(text).digest('hex'));

/**
 * The items one mutation reads and replaces while it holds its scope's lock (a table's, a source's).
 * One changed item is replaced on its own, atomically. Several (a run and its table's state: a
 * watermark commit, a run's start or end) are first written to the scope's journal, then replaced
 * one by one, then the journal is removed; a crash in between leaves the journal, and the next
 * writer under the same lock finishes the change ({@link replayJournal}) before it reads anything.
 * So no crash leaves half a change to be decided on, as DynamoDB's transactions guarantee.
 */
export class ItemChanges {
  private readonly before = new Map<string, string | null>();
  private readonly after = new Map<string, string>();

  constructor(private readonly layout: LocalLayout, private readonly scope: string) {}

  /** Read an item to decide on; only items read here may be {@link put}. */
  async get<S extends z.ZodType>(file: string, schema: S): Promise<z.infer<S> | null> {
    const text = await readItemText(file);
    this.before.set(file, text);
    return text === null ? null : parseItem(file, text, schema);
  }

  /** Replace the item at `file` (read with {@link get}) when the change commits; the same text as before writes nothing. */
  put(file: string, item: unknown): void {
    if (!this.before.has(file)) throw new Error(`${file} is put without being read under its lock first`);
    const text = itemText(item);
    if (text === this.before.get(file)) this.after.delete(file);
    else this.after.set(file, text);
  }

  /** Write what was put; a second commit writes only what was put since. */
  async commit(): Promise<void> {
    const writes = [...this.after].map(([file, content]) => ({ file, before: digest(this.before.get(file) ?? null), content }));
    for (const { file, content } of writes) this.before.set(file, content);
    this.after.clear();
    const [only] = writes;
    if (only === undefined) return;
    if (writes.length === 1) {
      await writeFileAtomic(only.file, only.content, this.layout.temp);
      return;
    }
    const journal = this.layout.journal(this.scope);
    const relativeWrites = writes.map((write) => ({ ...write, file: relative(this.layout.folder, write.file) }));
    await writeFileAtomic(journal, JSON.stringify({ writes: relativeWrites }), this.layout.temp);
    for (const write of writes) await writeFileAtomic(write.file, write.content, this.layout.temp);
    rmSync(journal, { force: true });
  }
}

/**
 * Finish the change a writer under `scope`'s lock left when it died. Call it holding that lock. An
 * item still as it was before the change gets its new text; one already changed is left as it is
 * (either this change reached it, or, when a power cut lost the journal's removal, a later one did).
 */
export async function replayJournal(layout: LocalLayout, scope: string): Promise<void> {
  const journal = layout.journal(scope);
  // Every write asks; almost always there is none, and a missing file is cheaper to stat than to fail to read.
  const text = existsSync(journal) ? await readItemText(journal) : null;
  if (text === null) return;
  for (const write of parseItem(journal, text, JournalSchema).writes) {
    const file = join(layout.folder, write.file);
    if (digest(await readItemText(file)) === write.before) await writeFileAtomic(file, write.content, layout.temp);
  }
  rmSync(journal, { force: true });
}
