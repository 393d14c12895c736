import { printable } from '../config/index.js';
import { EXIT } from './error-report.js';

/**
 * One line of a self-test's report (`floe aws verify`, `floe snowflake verify`): a check, its
 * outcome, and for a failure what to fix and the platform's own words. Lines never carry a secret or
 * a connection URL: the probe's texts are redacted by the job, and {@link formatVerifyLine} rewrites
 * any connection URL that reaches it.
 */
export type VerifyStatus = 'ok' | 'FAIL' | 'skipped';

export interface VerifyLine {
  readonly status: VerifyStatus;
  /** What was checked, e.g. `rule RawLanded -> load-and-merge on bus Floe-events`. */
  readonly check: string;
  /** What was found: for ok the evidence (may be empty), for FAIL what is wrong, for skipped why. */
  readonly detail: string;
  /** FAIL only: what to change, and where. */
  readonly fix?: string;
  /** FAIL only: the platform's own error text and who said it (`Glue`, `the job`, `Snowflake`, …). */
  readonly said?: { readonly by: string; readonly text: string };
}

export const ok = (check: string, detail: string): VerifyLine => ({ status: 'ok', check, detail });
export const skipped = (check: string, why: string): VerifyLine => ({ status: 'skipped', check, detail: why });

export function fail(check: string, detail: string, fix: string, said?: { by: string; error: unknown }): VerifyLine {
  return { status: 'FAIL', check, detail, fix, ...(said === undefined ? {} : { said: { by: said.by, text: errorText(said.error) } }) };
}

/** An SDK or driver error as its service says it: `Name: message`, first line only. */
export function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error instanceof Error) {
    const message = error.message.split('\n')[0] ?? '';
    return error.name === 'Error' || message.startsWith(`${error.name}:`) ? message : `${error.name}: ${message}`;
  }
  return String(error);
}

/**
 * No connection URL reaches the terminal: a database's (`postgres://user@host:5432/db`, as the job
 * describes a source) becomes `postgres 127.0.0.1:5432/db (user floe)`, its password dropped if it
 * had one; any other URL keeps its form with `user:***@`.
 */
export function withoutConnectionUrls(text: string): string {
  return text
    .replace(/\b(postgres(?:ql)?|mysql|mariadb):\/\/(?:([^\s/:@]*)(?::[^\s@/]*)?@)?([^\s/?#]+)(\/[^\s?#:]*)?(?:\?\S*)?/gi,
      (_match, scheme: string, user: string | undefined, address: string, path: string | undefined) =>
        `${scheme} ${address}${path ?? ''}${user ? ` (user ${user})` : ''}`)
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s@/]*@/gi, '$1:***@');
}

/** `ok      check: detail`, or `FAIL    check: detail. Fix: …. Glue said: …`, printable and on one line. */
export function formatVerifyLine(line: VerifyLine): string {
  const parts = [line.detail === '' ? line.check : `${line.check}: ${line.detail}`];
  if (line.fix !== undefined) parts.push(`Fix: ${line.fix}`);
  if (line.said !== undefined) parts.push(`${line.said.by.charAt(0).toUpperCase()}${line.said.by.slice(1)} said: ${line.said.text.replace(/\s*\n\s*/g, ' ')}`);
  const text = parts.map((part) => part.replace(/[.\s]+$/, '')).join('. ');
  return `${line.status.padEnd(8)}${withoutConnectionUrls(printable(text))}`;
}

/** 1 when any check failed, else 0 (a skipped check fails nothing). */
export function verifyExitCode(lines: readonly VerifyLine[]): number {
  return lines.some((line) => line.status === 'FAIL') ? EXIT.failed : EXIT.ok;
}

/** `12 checks: 10 ok, 1 FAIL, 1 skipped`. */
export function summary(lines: readonly VerifyLine[]): string {
  const count = (status: VerifyLine['status']) => lines.filter((line) => line.status === status).length;
  return `${lines.length} check${lines.length === 1 ? '' : 's'}: ${count('ok')} ok, ${count('FAIL')} FAIL, ${count('skipped')} skipped`;
}
