import { join } from 'node:path';

import { startLoopbackServer, VENV_BIN } from './loopback-server.js';

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
  const server = await startLoopbackServer({
    name: 'moto',
    command: options.serial ? join(VENV_BIN, 'python') : join(VENV_BIN, 'moto_server'),
    args: (port) => (options.serial ? ['-c', SERVE_SERIALLY, '127.0.0.1', String(port)] : ['-H', '127.0.0.1', '-p', String(port)]),
    isUp: async (port) => (await fetch(`http://127.0.0.1:${port}/moto-api/`)).ok,
    timeoutMs: 20_000,
  });
  return {
    config: { endpoint: `http://127.0.0.1:${server.port}`, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } },
    stop: () => server.stop(),
  };
}
