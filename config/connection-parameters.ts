import { printable } from './printable.js';

/**
 * The query parameters a source's connection URL may carry, per engine: an allow-list, so nothing
 * else reaches the extraction job's driver. The job refuses the same names
 * (`glue/floe_extract/connection.py`, which says why each is in or out, and cites libpq's
 * "Parameter Key Words" and Connector/Python's connection arguments); checking them when the config
 * is loaded makes `floe run` and `floe push` fail naming the source, not the job in the middle of a
 * run. test/config/connection-parameters.test.ts asks the Python module for its lists and compares.
 *
 * @see https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS
 * @see https://dev.mysql.com/doc/connector-python/en/connector-python-connectargs.html
 */
export const ALLOWED_CONNECTION_PARAMETERS = {
  postgres: [
    'sslmode', 'sslnegotiation', 'sslcompression', 'sslcert', 'sslkey', 'sslcertmode', 'sslrootcert', 'sslcrl',
    'sslcrldir', 'sslsni', 'ssl_min_protocol_version', 'ssl_max_protocol_version',
    'gssencmode', 'channel_binding', 'require_auth',
    'keepalives', 'keepalives_idle', 'keepalives_interval', 'keepalives_count', 'tcp_user_timeout',
    'target_session_attrs', 'load_balance_hosts',
  ],
  mysql: ['ssl_ca', 'ssl_cert', 'ssl_key', 'ssl_disabled', 'ssl_verify_cert', 'ssl_verify_identity'],
} as const satisfies Record<'postgres' | 'mysql', readonly string[]>;

/** What the job sets itself (who, where, session settings, timeouts): a URL may not override it. */
export const CONNECTION_PARAMETERS_SET_BY_FLOE = {
  postgres: ['host', 'hostaddr', 'port', 'user', 'password', 'dbname', 'application_name', 'fallback_application_name', 'connect_timeout', 'options'],
  mysql: ['host', 'port', 'user', 'password', 'database', 'charset', 'use_pure', 'connection_timeout', 'autocommit', 'client_flags'],
} as const satisfies Record<'postgres' | 'mysql', readonly string[]>;

/** The MySQL parameters that are flags; the job reads these spellings. */
const MYSQL_FLAGS: readonly string[] = ['ssl_disabled', 'ssl_verify_cert', 'ssl_verify_identity'];
const FLAG_VALUES: readonly string[] = ['true', '1', 'yes', 'false', '0', 'no'];

/**
 * Why one query parameter of a connection URL cannot reach the job's driver, or null when it can.
 * Names the parameter (made printable, at most 40 characters); never quotes its value.
 */
export function connectionParameterProblem(name: string, value: string, engine: 'postgres' | 'mysql'): string | null {
  const shown = `'${printable(name.slice(0, 40))}'`;
  const allowed: readonly string[] = ALLOWED_CONNECTION_PARAMETERS[engine];
  const setByFloe: readonly string[] = CONNECTION_PARAMETERS_SET_BY_FLOE[engine];
  if (setByFloe.includes(name)) return `option ${shown} is set by floe and cannot be overridden`;
  if (!allowed.includes(name)) return `option ${shown} is not supported for ${engine === 'postgres' ? 'PostgreSQL' : 'MySQL'} (supported: ${allowed.join(', ')})`;
  if (value === '') return `option ${shown} needs a value`;
  if (MYSQL_FLAGS.includes(name) && !FLAG_VALUES.includes(value.toLowerCase())) return `option ${shown} takes true or false`;
  return null;
}
