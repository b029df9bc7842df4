/** The service as a real process (the way Kubernetes runs it), for signal and build tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, waitFor } from '../../dev/ports';

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly metricsUrl: string;
  output(): string;
  /** Resolves with the exit code (or the signal name). */
  exited(): Promise<number | string | null>;
}

export async function startServerProcess(
  args: readonly string[],
  env: Record<string, string>,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', PORT: String(port), METRICS_PORT: String(metricsPort), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      'the service process',
      async () => {
        if (child.exitCode !== null) throw new Error(`exited early with ${child.exitCode}`);
        return (await fetch(`${url}/readyz`)).ok;
      },
      options.timeoutMs ?? 30_000,
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return {
    child,
    url,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    output: () => output,
    exited: () => exit,
  };
}
