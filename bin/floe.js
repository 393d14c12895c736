#!/usr/bin/env node
// The `floe` command, from any working directory: floe is TypeScript run through tsx, so the
// command is always the code of this checkout (no build step to forget).
import { tsImport } from 'tsx/esm/api';

await tsImport('../cli/floe.ts', import.meta.url);
