import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const VENV_BIN = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), '.venv', 'bin');

/**
 * moto's app served one request at a time. `moto_server` serves on parallel threads, and its
 * DynamoDB backend checks a ConditionExpression and applies the write without a lock, so two
 * racing conditional writes can both succeed there, which DynamoDB never allows. Serving requests
 * one by one restores DynamoDB's per-item atomicity; the client side stays fully concurrent.
 */
const SERVE_SERIALLY = `
import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
run_simple(sys.argv[1], int(sys.argv[2]), DomainDispatcherApplication(create_backend_app), threaded=False, request_handler=MotoRequestHandler)
`;

/** What every SDK client in these tests is given: moto's endpoint and the dummy credentials moto accepts. */
export interface AwsTestConfig {
  endpoint: string;
  region: 'us-east-1';
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** A moto server of this test file's own, on a free loopback port. */
export interface MotoServer {
  readonly config: AwsTestConfig;
  stop(): Promise<void>;
}

/**
 * Starts moto on 127.0.0.1 and resolves once it answers HTTP. Each test file starts its own, so
 * files running in parallel never share tables, buckets, buses or queues. `serial` is for tests
 * of conditional writes racing each other (see SERVE_SERIALLY).
 */
export async function startMoto(options: { serial?: boolean } = {}): Promise<MotoServer> {
  const port = await freePort();
  const child = options.serial
    ? spawn(join(VENV_BIN, 'python'), ['-c', SERVE_SERIALLY, '127.0.0.1', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(join(VENV_BIN, 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(endpoint, child, () => stderr);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return {
    config: { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } },
    stop: () => stopChild(child),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto exited with code ${child.exitCode}: ${stderr()}`);
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((wake) => setTimeout(wake, 100));
  }
  throw new Error(`moto did not answer on ${endpoint} within 20 s: ${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  await exited;
}
