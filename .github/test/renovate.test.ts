/**
 * Renovate's regex managers must keep finding the versions they update: a
 * reformatted ADDON_CHARTS or image constant would silently stop its updates.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLOUD_SQL_PROXY_IMAGE } from '../../charts/walk-service/cloud-sql-proxy';
import { ADDON_CHARTS } from '../../infra/constructs/cluster-addons';

const ROOT = join(__dirname, '..', '..');
interface CustomManager {
  managerFilePatterns: string[];
  matchStrings: string[];
  datasourceTemplate: string;
}
const config = JSON.parse(readFileSync(join(ROOT, 'renovate.json'), 'utf8')) as {
  customManagers: CustomManager[];
};

function extracted(datasource: string, file: string): Record<string, string>[] {
  const manager = config.customManagers.find((m) => m.datasourceTemplate === datasource);
  if (!manager) throw new Error(`renovate.json has no ${datasource} regex manager`);
  const pattern = manager.managerFilePatterns[0]!.replace(/^\/|\/$/g, '');
  expect(file).toMatch(new RegExp(pattern));
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(new RegExp(manager.matchStrings[0]!, 'g'))].map((m) => ({ ...m.groups }));
}

it('the helm manager finds every add-on chart with its repository and exact version', () => {
  const found = extracted('helm', 'infra/constructs/cluster-addons.ts');
  const expected = Object.values(ADDON_CHARTS).map((c) => ({
    registryUrl: c.repository,
    depName: c.chart,
    currentValue: c.version,
  }));
  expect(found).toEqual(expect.arrayContaining(expected));
  expect(found).toHaveLength(expected.length);
});

it('the docker manager finds the images the charts run', () => {
  const [name, tag] = CLOUD_SQL_PROXY_IMAGE.split(':');
  expect(extracted('docker', 'charts/walk-service/cloud-sql-proxy.ts')).toContainEqual(
    expect.objectContaining({ depName: name, currentValue: tag }),
  );
});
