import { FloeError } from '../errors/floe-error.js';

/**
 * A config file that cannot be used as written. Never retryable: the same file
 * fails the same way until a person edits it.
 *
 * The message names the file, the key path (`sources[0].tables[1].primaryKey`)
 * and what was expected. It never quotes a connection string or any value that
 * came from an environment variable.
 */
export class ConfigError extends FloeError {
  override readonly name = 'ConfigError';
  /** The config file as the caller named it, when the error is about a file. */
  readonly file: string | undefined;
  /** One line per problem, each `keyPath: what was expected`. */
  readonly problems: readonly string[];

  constructor(message: string, options: { cause?: unknown; file?: string; problems?: readonly string[] } = {}) {
    super(message, { cause: options.cause });
    this.file = options.file;
    this.problems = options.problems ?? [];
  }

  /** `file: problem` for one problem; a count and an indented list for several. */
  static fromProblems(file: string, problems: readonly string[]): ConfigError {
    const [first] = problems;
    const message =
      problems.length === 1 && first !== undefined
        ? `${file}: ${first}`
        : `${file}: ${problems.length} problems\n${problems.map((problem) => `  - ${problem}`).join('\n')}`;
    return new ConfigError(message, { file, problems });
  }
}
