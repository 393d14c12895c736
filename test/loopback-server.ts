import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's Python environment, where moto and fakesnow are installed. */
export const VENV_BIN = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), '.venv', 'bin');

/** A stand-in server in a child process of this test file, on a free loopback port. */
export interface LoopbackServer {
  readonly port: number;
  stop(): Promise<void>;
}

export interface LoopbackServerOptions {
  /** Named in errors: `moto`, `fakesnow`. */
  name: string;
  command: string;
  args: (port: number) => string[];
  /** Resolves true once the server answers; throwing counts as not yet. */
  isUp: (port: number) => Promise<boolean>;
  timeoutMs: number;
  /** Variables added to this process's environment for the server. */
  env?: Record<string, string>;
}

/**
 * Starts the server and resolves once `isUp` says so. If it exits or does not answer in time, the
 * error carries the end of its stderr, and the child is stopped.
 */
export async function startLoopbackServer(options: LoopbackServerOptions): Promise<LoopbackServer> {
  const port = await freePort();
  const child = spawn(options.command, options.args(port), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...options.env } });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  try {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${options.name} exited with code ${child.exitCode}: ${stderr}`);
      if (await options.isUp(port).catch(() => false)) break;
      if (Date.now() > deadline) throw new Error(`${options.name} did not answer on port ${port} within ${options.timeoutMs / 1000} s: ${stderr}`);
      await new Promise((wake) => setTimeout(wake, 100));
    }
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { port, stop: () => stopChild(child) };
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

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  await exited;
}
