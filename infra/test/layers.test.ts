/**
 * The dependency arrows run one way: config/ (shared configuration and
 * platform facts) at the bottom; charts/ and monitoring/ on it; infra/
 * (constructs and the stacks that compose them) on those; scripts/ on top.
 * Imports are read with the TypeScript pre-processor (every import, export,
 * require and dynamic import, type-only ones included).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..', '..');

/** What each layer's source files may import from the repository, besides themselves. */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  config: [],
  charts: ['config'],
  monitoring: ['config', 'charts'],
};

function sources(dir: string): string[] {
  return (
    readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
      .map((e) => join(e.parentPath, e.name))
      .filter((file) => !/[/\\](test|imports)[/\\]/.test(relative(ROOT, file)))
      // A measuring tool that starts the service (app/dev), run by hand: a script, not part of the charts.
      .filter((file) => !relative(ROOT, file).startsWith(join('charts', 'sizing')))
  );
}

/** The top-level folders a file's relative imports reach. */
function layersImported(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((f) => f.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => relative(ROOT, resolve(dirname(file), name)).split(/[/\\]/)[0]!);
}

it('reads every layer (the parser sees imports)', () => {
  for (const layer of Object.keys(MAY_IMPORT)) expect(sources(layer).length).toBeGreaterThan(3);
  expect(layersImported(join(ROOT, 'monitoring', 'helm-values.ts'))).toContain('config');
});

it.each(Object.entries(MAY_IMPORT))('%s/ imports only from %j', (layer, allowed) => {
  const upward = sources(layer).flatMap((file) =>
    layersImported(file)
      .filter((to) => to !== layer && !allowed.includes(to))
      .map((to) => `${relative(ROOT, file)} → ${to}/`),
  );
  expect(upward).toEqual([]);
});
