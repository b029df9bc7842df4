import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { KeyRing } from '../../src/sessions';
import { run } from '../../src/sessions/key-ring-cli';

const ROOT = path.resolve(__dirname, '../../..');

describe('key-ring-cli: the three-step rotation', () => {
  it('adds a verify-only key, promotes it, then retires the old one', () => {
    const start = run(['new', '--kid', 'old']);
    expect(KeyRing.parse(start).kids).toEqual(['old']);

    const step1 = run(['add', '--kid', 'new'], () => start);
    const ring1 = KeyRing.parse(step1);
    expect(ring1.kids).toEqual(['old', 'new']);
    expect(ring1.signing.kid).toBe('old');

    const step2 = run(['promote', 'new'], () => step1);
    expect(KeyRing.parse(step2).signing.kid).toBe('new');
    expect(KeyRing.parse(step2).kids).toEqual(['new', 'old']);

    const step3 = run(['retire', 'old'], () => step2);
    expect(KeyRing.parse(step3).kids).toEqual(['new']);
    expect(run(['show'], () => step3)).toBe('new\tsigns and verifies\n');
  });

  it('refuses to retire the signing key, to promote an unknown key or to add a duplicate kid', () => {
    const ring = run(['new', '--kid', 'only']);
    expect(() => run(['retire', 'only'], () => ring)).toThrow(/signs; promote another key first/);
    expect(() => run(['promote', 'nope'], () => ring)).toThrow(/no key with kid "nope"/);
    expect(() => run(['add', '--kid', 'only'], () => ring)).toThrow(/already in the ring/);
    expect(() => run(['bogus'])).toThrow(/unknown command "bogus"/);
  });

  it('works on a pipe', () => {
    const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
    const cli = path.join(ROOT, 'app', 'src', 'sessions', 'key-ring-cli.ts');
    const ring = execFileSync(tsx, [cli, 'new', '--kid', 'piped'], { encoding: 'utf8' });
    const shown = execFileSync(tsx, [cli, 'show'], { input: ring, encoding: 'utf8' });
    expect(shown).toBe('piped\tsigns and verifies\n');
  });
});
