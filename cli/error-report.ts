import { ConfigError, printable } from '../config/index.js';
import { FloeError } from '../errors/floe-error.js';

/** The exit codes of every floe command (README, "Exit codes"). */
export const EXIT = {
  ok: 0,
  /** A run failed, a check found drift, or something went wrong that floe did not foresee. */
  failed: 1,
  /** The command line or the config file is wrong: nothing ran. */
  usage: 2,
  /** What floe needed was held by another run (a table's lease, the local warehouse file): trying later will work. */
  busy: 3,
} as const;

/** Errors that mean another run holds what this one needs. */
const BUSY = new Set(['TableBusy', 'WarehouseBusy']);

/** The exit code for an error a command let through. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof ConfigError || isArgumentError(error)) return EXIT.usage;
  if (error instanceof Error && BUSY.has(error.name)) return EXIT.busy;
  return EXIT.failed;
}

function isArgumentError(error: unknown): boolean {
  return error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
}

/**
 * What a person sees of an error: one line (a config error lists one problem a line), names and
 * values escaped, never a stack trace unless FLOE_DEBUG=1. An error floe did not foresee says so.
 */
export function describeError(error: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const debug = env['FLOE_DEBUG'] === '1';
  const stack = debug && error instanceof Error && error.stack ? `\n${error.stack}` : '';
  if (error instanceof ConfigError || isArgumentError(error)) {
    return `floe: ${(error as Error).message.split('\n').map(printable).join('\n')}${stack}`;
  }
  const message = printable((error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '');
  if (error instanceof FloeError || (error instanceof Error && 'retryable' in error)) return `floe: ${message}${stack}`;
  const name = error instanceof Error ? error.name : 'Error';
  return `floe: unexpected ${name}: ${message}${debug ? stack : ' (FLOE_DEBUG=1 shows where)'}`;
}
