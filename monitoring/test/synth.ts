/** Synthesizes the monitoring artefacts once per test file into a temporary directory. */
import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parse } from 'yaml';
import { synthMonitoring } from '../main';

export interface Synthesized {
  readonly dir: string;
  readonly files: string[];
  read(path: string): string;
  yaml<T = unknown>(path: string): T;
}

export function synthToTemp(): Synthesized {
  const dir = mkdtempSync(join(tmpdir(), 'monitoring-'));
  // Defaults only: a developer's cdktf.json context or TEKUTOKO_* must not change what tests see.
  const files = synthMonitoring(dir, { env: {}, argv: [], readContextFiles: false });
  const read = (path: string) => readFileSync(join(dir, path), 'utf8');
  return { dir, files, read, yaml: <T>(path: string) => parse(read(path)) as T };
}
