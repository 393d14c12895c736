import { FloeError } from '../errors/floe-error.js';

/**
 * A source database that cannot be reached or read.
 *
 * The message names the source (its `name` in floe.config.yaml) and what floe
 * was doing; it never contains the connection string or its password, even when
 * the driver's own message quotes them. `retryable` is true for network
 * failures (refused, timed out, reset), false for what a retry would repeat
 * (bad credentials, missing database, missing privileges).
 */
export class SourceError extends FloeError {
  override readonly name = 'SourceError';
  /** The source's name in floe.config.yaml. */
  readonly source: string;

  constructor(message: string, options: { source: string; cause?: unknown; retryable?: boolean }) {
    super(message, { cause: options.cause, retryable: options.retryable ?? false, context: { source: options.source } });
    this.source = options.source;
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'PROTOCOL_CONNECTION_LOST']);

/** Wraps a driver error into a one-line {@link SourceError}, with the connection string and password blanked out. */
export function sourceError(source: { name: string; connection: string }, doing: string, error: unknown): SourceError {
  if (error instanceof SourceError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  let detail = error instanceof Error && error.message !== '' ? error.message : typeof code === 'string' ? code : String(error);
  for (const secret of secretsOf(source.connection)) detail = detail.split(secret).join('***');
  detail = detail.replace(/\s+/g, ' ').trim();
  const retryable = typeof code === 'string' && NETWORK_CODES.has(code);
  return new SourceError(`source '${source.name}': ${doing} failed: ${detail}`, { source: source.name, cause: error, retryable });
}

function secretsOf(connection: string): string[] {
  const secrets = [connection];
  try {
    const password = new URL(connection).password;
    if (password !== '') secrets.push(password, decodeURIComponent(password));
  } catch {
    // Not a URL: the whole string is already blanked out.
  }
  return secrets.filter((secret) => secret.length >= 3);
}
