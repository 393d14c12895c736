import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from './helpers.js';

/**
 * moto's server, started as `moto_server` starts it but handling one request at a
 * time. `moto_server` serves requests on parallel threads and its DynamoDB
 * backend checks a ConditionExpression and applies the write without a lock, so
 * two racing conditional writes can both succeed there, which DynamoDB never
 * allows. Serving requests one by one restores DynamoDB's per-item atomicity;
 * the client side stays fully concurrent.
 */
const SERVE_SERIALLY = `
import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
run_simple(sys.argv[1], int(sys.argv[2]), DomainDispatcherApplication(create_backend_app), threaded=False, request_handler=MotoRequestHandler)
`;

export interface SerialMoto {
  readonly config: { endpoint: string; region: 'us-east-1'; credentials: { accessKeyId: string; secretAccessKey: string } };
  stop(): Promise<void>;
}

/** Start the server on a free loopback port and resolve once it answers HTTP. */
export async function startSerialMoto(): Promise<SerialMoto> {
  const port = await freePort();
  const child = spawn(join(repoRoot, '.venv', 'bin', 'python'), ['-c', SERVE_SERIALLY, '127.0.0.1', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(endpoint, child, () => stderr);
  } catch (error) {
    await stop(child);
    throw error;
  }
  return { config: { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }, stop: () => stop(child) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto server exited with code ${child.exitCode}: ${stderr()}`);
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((wake) => setTimeout(wake, 100));
  }
  throw new Error(`moto server did not answer on ${endpoint} within 20 s: ${stderr()}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  await exited;
}
