/**
 * Writes `<chart>-<version>.keys.json`: the key tree of a chart's values.yaml
 * (leaves replaced by their type, `{}`/null defaults as "open"), so the tests
 * can reject a value the chart does not read. Usage:
 *   npx tsx infra/test/helm-values/generate.ts <values.yaml> <chart> <version> <source>
 */
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';

export type KeyTree = { [key: string]: KeyTree } | string;

export function keyTree(value: unknown): KeyTree {
  if (value === null || value === undefined) return 'open';
  if (Array.isArray(value)) return 'array';
  if (typeof value !== 'object') return typeof value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return 'open';
  return Object.fromEntries(entries.map(([k, v]) => [k, keyTree(v)]));
}

if (require.main === module) {
  const [file, chart, version, source] = process.argv.slice(2);
  if (!file || !chart || !version || !source)
    throw new Error('usage: generate.ts <values.yaml> <chart> <version> <source>');
  const out = { chart, version, source, keys: keyTree(parse(readFileSync(file, 'utf8'))) };
  writeFileSync(join(__dirname, `${chart}-${version}.keys.json`), `${JSON.stringify(out, null, 1)}\n`);
}
