import { execFile } from 'node:child_process';
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A PostgreSQL server of the test's own, on a free loopback port, that the test may stop and start:
 * the shared server on 5432 must never be stopped. initdb and the server refuse to run as root, so
 * as root they run as the `postgres` user.
 */
export interface ThrowawayPostgres {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

async function postgresBin(): Promise<string> {
  const versions = (await readdir('/usr/lib/postgresql')).sort((a, b) => Number(b) - Number(a));
  if (versions[0] === undefined) throw new Error('no PostgreSQL under /usr/lib/postgresql');
  return join('/usr/lib/postgresql', versions[0], 'bin');
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = await postgresBin();
  const port = await freePort();
  const folder = await mkdtemp(join(tmpdir(), 'floe-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await chown(folder, Number((await run('id', ['-u', 'postgres'])).stdout.trim()), 0);
  const as = (command: string, args: string[]): Promise<unknown> =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args]) : run(join(bin, command), args);
  const data = join(folder, 'data');
  await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  const pgCtl = (...args: string[]): Promise<unknown> => as('pg_ctl', ['-D', data, '-w', ...args]);
  const start = async (): Promise<void> => {
    await pgCtl('-o', `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', join(folder, 'log'), 'start');
  };
  await start();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    // fast: what a restart or failover does to open sessions (they are terminated), without waiting for them.
    stop: async () => void (await pgCtl('-m', 'fast', 'stop')),
    start,
    remove: async () => {
      await pgCtl('-m', 'immediate', 'stop').catch(() => undefined);
      await rm(folder, { recursive: true, force: true });
    },
  };
}
