/**
 * Child-process entry of app/dev/storage-emulator.ts: firebase-tools' own Cloud
 * Storage emulator (its Express app and storage layer), started without the
 * Java security-rules runtime, which firebase-tools downloads at first start
 * from a host this machine cannot reach (ADR 0220). Usage: `<port>`.
 *
 * firebase-tools ships no type declarations: the few members used are typed here.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type { Server } from 'node:http';

interface StorageEmulatorInstance {
  getName(): string;
  getInfo(): { host: string; port: number };
}
const { StorageEmulator } = require('firebase-tools/lib/emulator/storage') as {
  StorageEmulator: new (args: {
    projectId: string;
    host: string;
    port: number;
    auto_download: boolean;
  }) => StorageEmulatorInstance;
};
const { createApp } = require('firebase-tools/lib/emulator/storage/server') as {
  createApp(
    projectId: string,
    emulator: StorageEmulatorInstance,
  ): Promise<{ listen(port: number, host: string): Server }>;
};
const { EmulatorRegistry } = require('firebase-tools/lib/emulator/registry') as {
  EmulatorRegistry: { set(name: string, instance: StorageEmulatorInstance): void };
};

async function main() {
  const port = Number(process.argv[2]);
  const projectId = process.argv[3] ?? 'demo-tekutoko';
  if (!Number.isInteger(port) || port <= 0)
    throw new Error(`usage: storage-emulator-main <port> [project], got ${process.argv[2]}`);
  const emulator = new StorageEmulator({ projectId, host: '127.0.0.1', port, auto_download: false });
  // What EmulatorRegistry.start does, minus emulator.start(), which would start the rules runtime:
  // the storage layer builds objects' URLs from the registered host and port.
  EmulatorRegistry.set(emulator.getName(), emulator);
  const server = (await createApp(projectId, emulator)).listen(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  process.stdout.write(`storage emulator listening on 127.0.0.1:${port}\n`);
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`storage emulator failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
