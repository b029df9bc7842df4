import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSigningJwk, KeyRing, keyRingJson } from '../../src/sessions';

describe('key ring (SESSION_SIGNING_KEYS / SESSION_SIGNING_KEYS_FILE)', () => {
  const newest = generateSigningJwk('2026-11');
  const older = generateSigningJwk('2026-08');

  it('signs with the first key and verifies with every key', () => {
    const ring = KeyRing.parse(keyRingJson([newest, older]));
    expect(ring.signing.kid).toBe('2026-11');
    expect(ring.kids).toEqual(['2026-11', '2026-08']);
    expect(ring.verificationKey('2026-08')).toBeDefined();
    expect(ring.verificationKey('2026-05')).toBeUndefined();
  });

  it('accepts public-only keys after the first (verify-only)', () => {
    const { d: _d, ...publicOnly } = older;
    expect(KeyRing.parse(keyRingJson([newest, publicOnly])).kids).toEqual(['2026-11', '2026-08']);
  });

  it('reads the mounted file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'keyring-'));
    try {
      const file = path.join(dir, 'keys.json');
      writeFileSync(file, keyRingJson([newest]));
      expect(KeyRing.load({ file }).signing.kid).toBe('2026-11');
      expect(() => KeyRing.load({ file: path.join(dir, 'missing.json') })).toThrow(
        /SESSION_SIGNING_KEYS_FILE: cannot read .*ENOENT/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['not JSON', '{keys', /is not valid JSON/],
    ['no keys', '{"keys": []}', /at least one key/],
    [
      'a public first key',
      keyRingJson([{ ...newest, d: undefined }]),
      /first key signs and must be a private key/,
    ],
    ['another algorithm', JSON.stringify({ keys: [{ ...newest, alg: 'RS256' }] }), /alg must be "ES256"/],
    ['alg none', JSON.stringify({ keys: [{ ...newest, alg: 'none' }] }), /alg must be "ES256"/],
    [
      'a symmetric key',
      JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'a', alg: 'HS256' }] }),
      /kty/,
    ],
    ['a duplicate kid', keyRingJson([newest, { ...older, kid: newest.kid }]), /appears twice/],
    ['a broken key', keyRingJson([{ ...newest, x: newest.y }]), /not a valid P-256 key/],
  ])('refuses %s, without echoing key material', (_name, json, message) => {
    let error: Error | undefined;
    try {
      KeyRing.parse(json);
    } catch (caught) {
      error = caught as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(newest.d);
  });

  it('wants exactly one source', () => {
    expect(() => KeyRing.load({})).toThrow(/one of them is required/);
    expect(() => KeyRing.load({ inline: keyRingJson([newest]), file: '/x' })).toThrow(/set only one/);
  });
});
