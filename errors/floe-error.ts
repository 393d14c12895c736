/**
 * The base of every error floe throws on purpose. A leaf module: every layer may import it.
 *
 * Three things every such error carries: a message a person can act on (naming the source,
 * table, column, run or file at fault, never a secret); whether the same operation, tried again,
 * may succeed (`retryable`: a lock, a timeout, throttling) or fails the same way until a person
 * acts; and where it happened (`context`). A runtime retries what is retryable (Lambda's retry
 * policy, the local bus's attempts) and ends the run only when the attempts are spent.
 */

/** Where an error happened, as far as the thrower knows. */
export interface ErrorContext {
  readonly source?: string;
  readonly table?: string;
  readonly runId?: string;
  readonly step?: string;
}

export interface FloeErrorOptions {
  /** Default false: an error is terminal unless its thrower knows a retry may help. */
  readonly retryable?: boolean;
  readonly context?: ErrorContext;
  readonly cause?: unknown;
}

export class FloeError extends Error {
  // Typed string, not a literal, so each subclass can name itself.
  override readonly name: string = 'FloeError';
  readonly retryable: boolean;
  readonly context: ErrorContext;

  constructor(message: string, options: FloeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? false;
    this.context = options.context ?? {};
  }
}

/**
 * Whether retrying the operation that threw `error` may succeed: a FloeError (or any error
 * carrying `retryable: true`) says so; anything else (a bug, an unknown driver error) is terminal,
 * since retrying code that is wrong repeats it.
 */
export function isRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === true;
}

/** The error's one-line message, whatever was thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
