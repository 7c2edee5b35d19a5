import { spawn, type ChildProcess } from 'node:child_process';
import { DaprSidecar } from '../sidecar/dapr-sidecar';
import type { RunRequest } from './run-args';

export interface RunIo {
  log: (line: string) => void;
  error: (line: string) => void;
  /** Registers a handler for SIGTERM / SIGINT. */
  onSignal: (handler: (signal: NodeJS.Signals) => void) => void;
}

/**
 * `nest-dapr run`: starts the sidecar, then (like `dapr run`) the app command
 * with the Dapr ports in its environment. The sidecar stops gracefully on
 * SIGTERM / SIGINT (the app gets the signal too) or when the app exits; the
 * exit code is the app's, or 0 / 1 for the sidecar alone.
 */
export async function runCommand(req: RunRequest, io: RunIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const sidecar = new DaprSidecar(req.options);
  let child: ChildProcess | undefined;
  let finished!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finished = resolve));
  let exitCode: number | undefined;
  const shutdown = (code: number) => {
    if (exitCode !== undefined) return;
    exitCode = code;
    void sidecar.stop().then(
      () => finished(code),
      (err: Error) => {
        io.error(`stopping the sidecar failed: ${err.message}`);
        finished(code || 1);
      },
    );
  };
  sidecar.onShutdownRequested = () => {
    child?.kill('SIGTERM');
    shutdown(0);
  };
  io.onSignal((signal) => {
    if (child && child.exitCode === null) child.kill(signal);
    shutdown(0);
  });

  const ports = await sidecar.start();
  if (req.command?.length) {
    const [cmd, ...args] = req.command;
    const childEnv: NodeJS.ProcessEnv = {
      ...env,
      APP_ID: req.options.appId,
      DAPR_HTTP_PORT: String(ports.http),
      DAPR_GRPC_PORT: String(ports.grpc ?? req.options.daprGrpcPort),
    };
    if (req.options.appPort !== undefined) childEnv.APP_PORT = String(req.options.appPort);
    if (req.options.apiToken) childEnv.DAPR_API_TOKEN = req.options.apiToken;
    if (req.options.appApiToken) childEnv.APP_API_TOKEN = req.options.appApiToken;
    child = spawn(cmd, args, { env: childEnv, stdio: 'inherit' });
    child.once('error', (err) => {
      io.error(`cannot start "${cmd}": ${err.message}`);
      shutdown(127);
    });
    child.once('exit', (code, signal) => {
      io.log(`app exited ${signal ? `on ${signal}` : `with code ${code}`}`);
      shutdown(code ?? (signal ? 0 : 1));
    });
  }
  return done;
}
