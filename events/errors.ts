import type { z } from 'zod';
import { FloeError } from '../errors/floe-error.js';

/**
 * An event (or manifest) that does not match its contract. Never retryable:
 * the same payload fails the same way, so it belongs in the dead-letter queue.
 * The message names the detail-type and the key path at fault; `cause` keeps
 * the underlying ZodError or JSON error.
 */
export class EventValidationError extends FloeError {
  override readonly name = 'EventValidationError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { cause: options?.cause });
  }
}

/**
 * One line for a zod failure: `detail.totalRows: expected number, received string`.
 * Further issues are counted, not listed, to keep log lines short.
 */
export function describeIssues(error: z.ZodError): string {
  const [first, ...rest] = error.issues;
  if (first === undefined) return 'invalid input';
  const path = first.path.length > 0 ? first.path.map(String).join('.') : '(root)';
  const message = first.message.replace(/^Invalid input: /, '');
  const more = rest.length > 0 ? ` (and ${rest.length} more issue${rest.length === 1 ? '' : 's'})` : '';
  return `${path}: ${message}${more}`;
}
