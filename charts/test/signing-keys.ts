import { generateKeyPairSync, randomUUID } from 'crypto';

/**
 * A freshly generated key ring in the shape the service reads from
 * SESSION_SIGNING_KEYS_FILE: JSON `{ keys: [private JWK with kid and alg] }`,
 * the first key signing.
 */
export function testSigningKeyRing(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return JSON.stringify({ keys: [{ ...jwk, kid: randomUUID(), alg: 'ES256', use: 'sig' }] });
}
