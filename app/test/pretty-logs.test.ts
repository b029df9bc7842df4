/** `npm start` logs: readable lines in a terminal, the JSON Cloud Logging reads otherwise. */
import { PassThrough } from 'node:stream';
import { localLogDestination } from '../dev/pretty-logs';
import { createLogger } from '../src/observability/logger';

function capture(isTTY: boolean): { out: PassThrough & { isTTY?: boolean }; text: () => string } {
  const out: PassThrough & { isTTY?: boolean } = new PassThrough();
  out.isTTY = isTTY;
  const chunks: string[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return { out, text: () => chunks.join('') };
}

it('pretty-prints for a terminal: time, severity, message on one line, no Cloud Logging copies', () => {
  const { out, text } = capture(true);
  const logger = createLogger({ level: 'info', destination: localLogDestination(out) });
  logger.warn({ route: '/v1/walks', status: 401, httpRequest: { status: 401 } }, 'GET /v1/walks 401');
  expect(text()).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARNING: GET \/v1\/walks 401/);
  expect(text()).not.toContain('httpRequest');
  expect(text().trim().split('\n')).toHaveLength(1);
});

it('leaves JSON in place when stdout is not a terminal', () => {
  expect(localLogDestination(capture(false).out)).toBeUndefined();
});
