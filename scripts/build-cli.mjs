#!/usr/bin/env node
/**
 * The `floe` command compiled to plain JavaScript (dist/cli-bundle/), so bin/floe.js starts it with
 * node alone: tsx compiling the TypeScript at every start cost about 40 MB and half a second
 * (issues 17 and 20). bin/floe.js asks {@link freshBuild} first and calls {@link buildCli} when the
 * sources changed since, so the command is still always the code of this checkout, with no build
 * step to forget; `scripts/setup` builds it ahead (`node scripts/build-cli.mjs`).
 *
 * Layout: dist/cli-bundle/build.json names the current build's folder and the size and mtime of
 * every file it was made from. A build is written to a temp folder, renamed, and only then named by
 * build.json (replaced by a rename): two floe processes that start together on stale sources each
 * build their own folder and run it, and neither sees the other's half-written files.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
// Apart from dist/cli/, where `npm run build` (tsc) writes the same modules a file each.
const OUT = join(REPO, 'dist', 'cli-bundle');
const STAMP = join(OUT, 'build.json');
const ENTRY = 'cli/floe.ts';
/** Read by the build besides the modules it bundles: a change to any of them may change the output. */
const BUILD_INPUTS = ['package.json', 'tsconfig.json', 'scripts/build-cli.mjs', 'node_modules/esbuild/package.json'];
/** A build folder no longer named by build.json is deleted a day later: a command still running from it may yet import one of its chunks. */
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
    statSync(join(OUT, stamp.dir, 'floe.js'));
  } catch {
    return undefined;
  }
  return pathToFileURL(join(OUT, stamp.dir, 'floe.js')).href;
}

/**
 * esbuild plugin: in the bundle every module shares its chunk's `import.meta.url`, yet floe's modules
 * find the checkout from their own (`../package.json`, the Glue job's scripts, `.venv`). Each
 * module's `import.meta.url` becomes its source file's URL, computed from the chunk's at run time,
 * so the built command reads the same files tsx would, and the checkout may move.
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
              text: 'import.meta.dirname and .filename would name dist/cli-bundle/ once built: use fileURLToPath(import.meta.url), which the build maps to the source file',
              location: { file: relative(REPO, args.path), line: line + 1, column: 0, lineText: lines[line] ?? '' },
            }],
          };
        }
        // On the first line of code, so the lines of the inline source map still match.
        const sourceUrl = `const __floeSourceUrl = new URL(${JSON.stringify(relative(outdir, args.path))}, import.meta.url).href; `;
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

/**
 * Builds the CLI: cli/floe.ts and everything it imports, bundled into ESM chunks (each command's
 * module stays a chunk of its own, loaded when that command runs), npm packages left external.
 * Returns the entry's URL; `logLevel` is esbuild's (bin/floe.js keeps it silent and says why
 * itself). build.json is not updated when a source may have changed while it was read, so the
 * next start builds again.
 */
export async function buildCli({ logLevel = 'silent' } = {}) {
  const esbuild = await import('esbuild');
  mkdirSync(OUT, { recursive: true });
  const started = Date.now();
  const dir = `b-${started.toString(36)}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const temp = join(OUT, `.tmp-${dir}`);
  const result = await esbuild.build({
    absWorkingDir: REPO, entryPoints: [ENTRY], outdir: temp,
    bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external',
    // Error classes and functions keep their names when two modules' top-level names collide.
    keepNames: true,
    // Stack traces into the TypeScript with `node --enable-source-maps`; the sources are in the checkout.
    sourcemap: 'linked', sourcesContent: false,
    metafile: true, logLevel, plugins: [sourceUrls(temp)],
  }).catch((error) => {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }).finally(() => esbuild.stop());
  const inputs = [...Object.keys(result.metafile.inputs), ...BUILD_INPUTS].map(signature);
  renameSync(temp, join(OUT, dir));
  // A file written as the build read it may carry an mtime a little before `started` (file times lag the clock).
  if (inputs.every(([, mtimeMs]) => mtimeMs < started - 1000)) {
    const written = join(OUT, `.tmp-${dir}.json`);
    writeFileSync(written, `${JSON.stringify({ dir, inputs })}\n`);
    renameSync(written, STAMP);
  }
  removeOldBuilds(dir);
  return pathToFileURL(join(OUT, dir, 'floe.js')).href;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildCli({ logLevel: 'error' }).catch((error) => {
    // esbuild has printed its own errors already; anything else (a folder it cannot write) not.
    if (error?.errors === undefined) process.stderr.write(`build-cli: ${error?.message ?? error}\n`);
    process.exit(1);
  });
}
