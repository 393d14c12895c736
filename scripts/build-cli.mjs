#!/usr/bin/env node
/**
 * The `floe` command compiled to plain JavaScript (dist/cli-build/), so bin/floe.js starts it with
 * node alone: tsx compiling the TypeScript at every start cost about 40 MB and half a second
 * (issues 17 and 20). bin/floe.js asks {@link freshBuild} first and calls {@link buildCli} when the
 * sources changed since, so the command is still always the code of this checkout, with no build
 * step to forget; `scripts/setup` builds it ahead (`node scripts/build-cli.mjs`).
 *
 * Each TypeScript file becomes one JavaScript file, as tsx and ts-jest run them, not a bundle: a
 * bundle hoists every npm package's import above the code of the modules it inlines, which changes
 * the order modules run in (warehouse/snowflake-platform-detection.ts must set its variable before
 * snowflake-sdk loads, and in a bundle it ran after). The bundle started about 0.2 s sooner.
 *
 * Layout: dist/cli-build/build.json names the current build's folder and the size and mtime of
 * every file it was made from. A build is written to a temp folder, renamed, and only then named by
 * build.json (replaced by a rename): two floe processes that start together on stale sources each
 * build their own folder and run it, and neither sees the other's half-written files.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
// Apart from dist/cli/, where `npm run build` (tsc) writes the same modules; inside the checkout,
// so the built modules find its node_modules.
const OUT = join(REPO, 'dist', 'cli-build');
const STAMP = join(OUT, 'build.json');
const ENTRY = 'cli/floe.js';
/** tsconfig.json's folders the command never imports. */
const NOT_CLI = new Set(['test', 'bench']);
/** Read by the build besides the sources it compiles: a change to any of them may change the output. */
const BUILD_INPUTS = ['package.json', 'tsconfig.json', 'scripts/build-cli.mjs', 'node_modules/esbuild/package.json'];
/** A build folder no longer named by build.json is deleted a day later: a command still running from it may yet import one of its modules. */
const OLD_BUILD_MS = 24 * 3600 * 1000;

/** [path from the repository root, mtime in ms, size]: what a source file looked like when built. */
function signature(path) {
  const stat = statSync(join(REPO, path));
  return [path, stat.mtimeMs, stat.size];
}

/**
 * The URL of the built `floe` entry when every file it was built from is as it was then (same
 * mtime and size: an edit, a checkout, a file restored with an older mtime all count), else
 * undefined. One read and a stat per source file: a few milliseconds.
 */
export function freshBuild() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
    for (const [path, mtimeMs, size] of stamp.inputs) {
      const now = statSync(join(REPO, path));
      if (now.mtimeMs !== mtimeMs || now.size !== size) return undefined;
    }
    // The folder itself may have been deleted by hand since (or by a `git clean`).
    statSync(join(OUT, stamp.dir, ENTRY));
  } catch {
    return undefined;
  }
  return pathToFileURL(join(OUT, stamp.dir, ENTRY)).href;
}

/**
 * esbuild plugin: floe's modules find the checkout from their own `import.meta.url`
 * (`../package.json`, the Glue job's scripts, `.venv`), which in dist/cli-build/ would name the
 * built file. Each module's `import.meta.url` becomes its source file's URL, computed from the
 * built file's at run time, so the built command reads the same files tsx would, and the checkout
 * may move.
 */
function sourceUrls(outdir) {
  return {
    name: 'floe-source-urls',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes('/node_modules/')) return undefined;
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('import.meta')) return undefined;
        const esbuild = await import('esbuild');
        let code;
        try {
          ({ code } = await esbuild.transform(source, {
            loader: 'ts', format: 'esm', target: 'node20', sourcefile: args.path, sourcemap: 'inline',
            tsconfigRaw: await readFile(join(REPO, 'tsconfig.json'), 'utf8'),
            define: { 'import.meta.url': '__floeSourceUrl', 'import.meta.dirname': '__floeNoDirname', 'import.meta.filename': '__floeNoFilename' },
          }));
        } catch (error) {
          if (error?.errors === undefined) throw error;
          return { errors: error.errors };
        }
        if (/__floeNo(Dirname|Filename)/.test(code)) {
          const lines = source.split('\n');
          const line = lines.findIndex((text) => /import\.meta\.(dirname|filename)/.test(text));
          return {
            errors: [{
              text: 'import.meta.dirname and .filename would name dist/cli-build/ once built: use fileURLToPath(import.meta.url), which the build maps to the source file',
              location: { file: relative(REPO, args.path), line: line + 1, column: 0, lineText: lines[line] ?? '' },
            }],
          };
        }
        const built = join(outdir, relative(REPO, args.path));
        // On the first line of code, so the lines of the inline source map still match.
        const sourceUrl = `const __floeSourceUrl = new URL(${JSON.stringify(relative(dirname(built), args.path))}, import.meta.url).href; `;
        const hashbang = /^#!.*\n/.exec(code)?.[0] ?? '';
        return { contents: `${hashbang}${sourceUrl}${code.slice(hashbang.length)}`, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

/** Deletes what earlier builds left: folders build.json no longer names, after a day; a crashed build's temp folder, after an hour. */
function removeOldBuilds(current) {
  const now = Date.now();
  for (const name of readdirSync(OUT)) {
    const folder = join(OUT, name);
    try {
      const age = now - statSync(folder).mtimeMs;
      if ((name.startsWith('b-') && name !== current && age > OLD_BUILD_MS) || (name.startsWith('.tmp-') && age > 3600 * 1000)) {
        rmSync(folder, { recursive: true, force: true });
      }
    } catch {
      // Another floe process's build renamed or removed it meanwhile.
    }
  }
}

/** Every TypeScript file of the folders tsconfig.json compiles, but the tests' and benchmarks'. */
function sourceFiles() {
  const { include } = JSON.parse(readFileSync(join(REPO, 'tsconfig.json'), 'utf8'));
  return include.filter((folder) => !NOT_CLI.has(folder)).flatMap((folder) =>
    readdirSync(join(REPO, folder), { recursive: true })
      .filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))
      .map((path) => `${folder}/${path}`));
}

/**
 * Builds the CLI: every source file to its JavaScript, in the same tree. Returns the entry's URL;
 * `logLevel` is esbuild's (bin/floe.js keeps it silent and says why itself). build.json is not
 * updated when a source may have changed while it was read, so the next start builds again.
 */
export async function buildCli({ logLevel = 'silent' } = {}) {
  const esbuild = await import('esbuild');
  mkdirSync(OUT, { recursive: true });
  const started = Date.now();
  const dir = `b-${started.toString(36)}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const temp = join(OUT, `.tmp-${dir}`);
  const sources = sourceFiles();
  await esbuild.build({
    absWorkingDir: REPO, entryPoints: sources, outdir: temp, outbase: '.',
    bundle: false, format: 'esm', platform: 'node', target: 'node20',
    // Stack traces into the TypeScript with `node --enable-source-maps`; the sources are in the checkout.
    sourcemap: 'linked', sourcesContent: false,
    logLevel, plugins: [sourceUrls(temp)],
  }).catch((error) => {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }).finally(() => esbuild.stop());
  const inputs = [...sources, ...BUILD_INPUTS].map(signature);
  renameSync(temp, join(OUT, dir));
  // A file written as the build read it may carry an mtime a little before `started` (file times lag the clock).
  if (inputs.every(([, mtimeMs]) => mtimeMs < started - 1000)) {
    const written = join(OUT, `.tmp-${dir}.json`);
    writeFileSync(written, `${JSON.stringify({ dir, inputs })}\n`);
    renameSync(written, STAMP);
  }
  removeOldBuilds(dir);
  return pathToFileURL(join(OUT, dir, ENTRY)).href;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildCli({ logLevel: 'error' }).catch((error) => {
    // esbuild has printed its own errors already; anything else (a folder it cannot write) not.
    if (error?.errors === undefined) process.stderr.write(`build-cli: ${error?.message ?? error}\n`);
    process.exit(1);
  });
}
