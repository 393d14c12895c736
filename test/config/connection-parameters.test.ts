import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { ConfigError } from '../../config/errors.js';
import { loadConfig } from '../../config/load.js';
import { ALLOWED_CONNECTION_PARAMETERS, CONNECTION_PARAMETERS_SET_BY_FLOE } from '../../config/connection-parameters.js';
import { MAX_PARTITIONS } from '../../config/schema.js';
import { VENV_BIN } from '../loopback-server.js';
import { validConfigData, writeConfig } from './helpers.js';

const GLUE = join(VENV_BIN, '..', '..', 'glue');
const SECRET = 's3cr3t-"pw\\';
const PG_URL = `postgresql://floe:${encodeURIComponent(SECRET)}@127.0.0.1:5432/clr`;

/** Load the valid fixture with `CLR_URL` set to `url`; the ConfigError it raises, or null when it loads. */
async function loadWith(url: string, options: { ignoreConnections?: boolean } = {}): Promise<{ error: ConfigError | null; file: string }> {
  const file = await writeConfig(await validConfigData());
  try {
    await loadConfig(file, { env: { CLR_URL: url }, ...options });
    return { error: null, file };
  } catch (error) {
    if (error instanceof ConfigError) return { error, file };
    throw error;
  }
}

describe('Config: connection URL parameters', () => {
  it.each([
    ['autocommit=1', "option 'autocommit' is not supported for PostgreSQL (supported: sslmode, sslnegotiation,"],
    ['options=-c%20default_transaction_read_only%3Doff', "option 'options' is set by floe and cannot be overridden"],
    ['sslmode=require&row_factory=x', "option 'row_factory' is not supported for PostgreSQL"],
    ['autocommit=', "option 'autocommit' is not supported for PostgreSQL"],
    ['sslmode=', "option 'sslmode' needs a value"],
  ])('refuses ?%s when the config is loaded, naming the source and the parameter, never the URL', async (query, expected) => {
    // Act
    const { error, file } = await loadWith(`${PG_URL}?${query}`);

    // Assess
    expect(error?.message.startsWith(`${file}: sources[0].connection: source clr: ${expected}`)).toBe(true);
    const everything = JSON.stringify({ message: error?.message, problems: error?.problems });
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(encodeURIComponent(SECRET));
    expect(everything).not.toContain('127.0.0.1');
  });

  it('accepts TLS, keepalive and host-selection parameters', async () => {
    // Act
    const { error } = await loadWith(`${PG_URL}?sslmode=require&sslrootcert=system&keepalives_idle=30&target_session_attrs=any`);

    // Assess
    expect(error).toBeNull();
  });

  it('refuses a MySQL parameter off its list, naming the list', async () => {
    // Prepare
    const data = await validConfigData();
    data['sources'][1].connection = 'mysql://root@127.0.0.1:3306/shop?allow_local_infile=true';

    // Act
    const file = await writeConfig(data);
    const error = await loadConfig(file, { env: { CLR_URL: PG_URL } }).then(() => null, (caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      `${file}: sources[1].connection: source shop: option 'allow_local_infile' is not supported for MySQL (supported: ssl_ca, ssl_cert, ssl_key, ssl_disabled, ssl_verify_cert, ssl_verify_identity)`,
    );
  });

  it('is checked by commands that do not connect (floe push) when the variable is set, and skipped when it is not', async () => {
    // Act
    const set = await loadWith(`${PG_URL}?autocommit=1`, { ignoreConnections: true });
    const file = await writeConfig(await validConfigData());
    const unset = await loadConfig(file, { env: {}, ignoreConnections: true });

    // Assess
    expect(set.error?.message).toContain("source clr: option 'autocommit' is not supported");
    expect(unset.sources[0]!.name).toBe('clr');
  });

  it('keeps the same lists, and the same partition limit, as the extraction job', async () => {
    // Prepare
    const script = [
      'import json',
      'from floe_extract.connection import ALLOWED_PARAMETERS, SET_BY_FLOE',
      'from floe_extract.job_args import MAX_PARTITIONS',
      'print(json.dumps({"allowed": ALLOWED_PARAMETERS, "setByFloe": SET_BY_FLOE, "maxPartitions": MAX_PARTITIONS}))',
    ].join('\n');

    // Act
    const { stdout } = await promisify(execFile)(join(VENV_BIN, 'python'), ['-c', script], { cwd: GLUE });

    // Assess
    expect(JSON.parse(stdout)).toEqual({
      allowed: ALLOWED_CONNECTION_PARAMETERS,
      setByFloe: CONNECTION_PARAMETERS_SET_BY_FLOE,
      maxPartitions: MAX_PARTITIONS,
    });
  });
});

describe('Config: partitions', () => {
  it('refuses more than the job reads in, naming the table', async () => {
    // Prepare
    const data = await validConfigData();
    data['sources'][0].tables[0].partitions = MAX_PARTITIONS + 1;

    // Act
    const file = await writeConfig(data);
    const error = await loadConfig(file, { env: { CLR_URL: PG_URL } }).then(() => null, (caught: unknown) => caught);

    // Assess
    expect((error as ConfigError).message).toBe(
      `${file}: sources[0].tables[0].partitions: table clr.availed_coupon_snapshots: 65 partitions is more than 64 (each partition holds a source connection and a thread)`,
    );
  });

  it('refuses more parts than the source\'s maxConnections, saying what to change', async () => {
    // Prepare
    const data = await validConfigData();
    data['sources'][0].tables[0].partitions = 6;

    // Act
    const file = await writeConfig(data);
    const error = await loadConfig(file, { env: { CLR_URL: PG_URL } }).then(() => null, (caught: unknown) => caught);

    // Assess
    expect((error as ConfigError).message).toBe(
      `${file}: sources[0].tables[0].partitions: table clr/clr.availed_coupon_snapshots: partitions 6 is more than the source's maxConnections 4 (each part holds a connection); lower partitions or raise maxConnections`,
    );
  });

  it('accepts exactly the limit', async () => {
    // Prepare
    const data = await validConfigData();
    data['sources'][0].tables[0].partitions = MAX_PARTITIONS;
    data['sources'][0].maxConnections = MAX_PARTITIONS;

    // Act
    const config = await loadConfig(await writeConfig(data), { env: { CLR_URL: PG_URL } });

    // Assess
    expect(config.sources[0]!.tables[0]!.partitions).toBe(64);
  });
});
