/**
 * Readable service logs for `npm start` in a terminal (pino-pretty, a
 * devDependency: the image never loads it). Not a terminal (a pipe, a file,
 * CI): the JSON lines Cloud Logging reads, unchanged.
 */
import pretty from 'pino-pretty';
import type { DestinationStream } from 'pino';

export function localLogDestination(
  stdout: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
): DestinationStream | undefined {
  if (!stdout.isTTY) return undefined;
  return pretty({
    // the logger writes Cloud Logging's `severity` label (INFO, WARNING, …) instead of pino's level
    levelKey: 'severity',
    customPrettifiers: { level: (severity) => String(severity).padEnd(7) },
    messageKey: 'message',
    // the request line says method, route and status; the Cloud Logging copies add nothing here
    ignore: 'pid,hostname,service,httpRequest,route,status',
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
    destination: stdout,
  });
}
