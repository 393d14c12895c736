import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import * as contracts from '../../events/index.js';
import { PUBLISHED_DETAIL_TYPES, type PublisherName } from '../../infra/published-events.js';
import { repoRoot } from '../state/helpers.js';

const FUNCTIONS = join(repoRoot, 'functions');
/** The core's operations, which build the events a handler publishes. */
const PIPELINE = join(repoRoot, 'pipeline');
/** Publishes whatever detail-type its caller names; and the index, which names every operation. */
const PASS_THROUGH = new Set([join(PIPELINE, 'ports.ts'), join(PIPELINE, 'index.ts')]);

/** A function's own files and the handler and core files they import, transitively. */
function sourcesOf(name: PublisherName): string[] {
  const pending = readdirSync(join(FUNCTIONS, name)).filter((file) => file.endsWith('.ts')).map((file) => join(FUNCTIONS, name, file));
  const seen = new Set<string>();
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) {
      const target = resolve(dirname(file), `${specifier}.ts`);
      if ((target.startsWith(FUNCTIONS) || target.startsWith(PIPELINE)) && existsSync(target) && !PASS_THROUGH.has(target)) pending.push(target);
    }
  }
  return [...seen];
}

/** The detail-type constants a function's code passes to `publish(…)`; a non-constant first argument is reported as such. */
function publishedBy(name: PublisherName): string[] {
  const named: Record<string, unknown> = { ...contracts };
  const types = new Set<string>();
  for (const file of sourcesOf(name)) {
    for (const [, argument] of readFileSync(file, 'utf8').matchAll(/(?:\.publish|\bpublished)\(\s*([^,\s)]+)/g)) {
      const value = named[argument ?? ''];
      types.add(typeof value === 'string' ? value : `<not a detail-type constant: ${argument} in ${file}>`);
    }
  }
  return [...types].sort();
}

describe('Infra: PUBLISHED_DETAIL_TYPES', () => {
  it.each(Object.keys(PUBLISHED_DETAIL_TYPES) as PublisherName[])('grants %s every detail-type its code publishes, and no other', (name) => {
    // Act
    const published = publishedBy(name);

    // Assess
    expect(published.length).toBeGreaterThan(0);
    expect([...PUBLISHED_DETAIL_TYPES[name]].sort()).toEqual(published);
  });

  it('names only detail-types of the contract, and gives every routed handler EventRefused', () => {
    // Prepare
    const known = new Set<string>(contracts.DETAIL_TYPES);

    // Assess
    for (const [name, types] of Object.entries(PUBLISHED_DETAIL_TYPES)) {
      expect(types.filter((type) => !known.has(type))).toEqual([]);
      expect(types.includes(contracts.EVENT_REFUSED)).toBe(name !== 'request-ingest' && name !== 'retries-exhausted');
    }
  });
});
