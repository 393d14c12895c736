#!/usr/bin/env node
// The `floe` command, from any working directory. It runs the CLI compiled to plain JavaScript
// (dist/cli-build/, scripts/build-cli.mjs), rebuilt first when any of its sources changed since,
// so the command is always the code of this checkout (no build step to forget). Only when the build
// cannot be made here (esbuild missing, a read-only checkout) does tsx compile it as it loads:
// about 40 MB and half a second more at every start.
import { buildCli, freshBuild } from '../scripts/build-cli.mjs';

let entry = freshBuild();
if (entry === undefined) {
  try {
    entry = await buildCli();
  } catch (error) {
    // esbuild's own message is only "Build failed with 1 error:"; its first error says which.
    const first = error?.errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}: ` : '';
    const reason = first ? `${where}${first.text}` : String(error?.message ?? error).split('\n')[0];
    process.stderr.write(`floe: starting through tsx: the compiled CLI could not be built (${reason}); node scripts/build-cli.mjs says more\n`);
  }
}
if (entry === undefined) {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport('../cli/floe.ts', import.meta.url);
} else {
  await import(entry);
}
