/**
 * The session signing key ring (docs/sessions.md, "Key ring"): a JWK Set of
 * ES256 keys, `{"keys": [<JWK with kid and alg>, ...]}`. The FIRST key signs
 * and must be private; every key verifies, so a token signed by the previous
 * key keeps working while it lives. Nothing is read from the token to pick
 * the algorithm: it is pinned to ES256.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const SIGNING_ALGORITHM = 'ES256';

const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');

const JwkSchema = z.object({
  kty: z.literal('EC', { error: 'kty must be "EC"' }),
  crv: z.literal('P-256', { error: 'crv must be "P-256"' }),
  alg: z.literal(SIGNING_ALGORITHM, { error: `alg must be "${SIGNING_ALGORITHM}"` }),
  kid: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'kid must be 1-64 characters of A-Z a-z 0-9 . _ : -'),
  use: z.literal('sig').optional(),
  x: base64url,
  y: base64url,
  d: base64url.optional(),
});

const KeyRingSchema = z.object({
  keys: z.array(JwkSchema).min(1, 'must hold at least one key'),
});

export type SigningJwk = z.infer<typeof JwkSchema>;

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

export class KeyRingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyRingError';
  }
}

export class KeyRing {
  private readonly publicKeys: ReadonlyMap<string, KeyObject>;

  private constructor(
    readonly signing: SigningKey,
    publicKeys: Map<string, KeyObject>,
  ) {
    this.publicKeys = publicKeys;
  }

  /** Key ids in ring order (the first signs). */
  get kids(): string[] {
    return [...this.publicKeys.keys()];
  }

  /** The public key for `kid`, or undefined for a key that is not (or no longer) in the ring. */
  verificationKey(kid: string): KeyObject | undefined {
    return this.publicKeys.get(kid);
  }

  /** Parses the JSON format above; errors name the problem, never a key's material. */
  static parse(json: string, source = 'SESSION_SIGNING_KEYS'): KeyRing {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch {
      throw new KeyRingError(`${source}: is not valid JSON (expected {"keys": [JWK, ...]})`);
    }
    const parsed = KeyRingSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
      throw new KeyRingError(`${source}: ${issue?.message ?? 'invalid key ring'}${where}`);
    }
    const [first] = parsed.data.keys;
    if (!first?.d)
      throw new KeyRingError(`${source}: the first key signs and must be a private key (with "d")`);
    const publicKeys = new Map<string, KeyObject>();
    let signing: SigningKey | undefined;
    for (const jwk of parsed.data.keys) {
      if (publicKeys.has(jwk.kid)) throw new KeyRingError(`${source}: kid "${jwk.kid}" appears twice`);
      let publicKey: KeyObject;
      try {
        const { kty, crv, x, y, d } = jwk;
        if (d) {
          const privateKey = createPrivateKey({ key: { kty, crv, x, y, d }, format: 'jwk' });
          publicKey = createPublicKey(privateKey);
          signing ??= { kid: jwk.kid, privateKey };
        } else {
          publicKey = createPublicKey({ key: { kty, crv, x, y }, format: 'jwk' });
        }
      } catch {
        throw new KeyRingError(`${source}: key "${jwk.kid}" is not a valid P-256 key`);
      }
      publicKeys.set(jwk.kid, publicKey);
    }
    return new KeyRing(signing as SigningKey, publicKeys);
  }

  /** The ring from the inline JSON (local/test) or the mounted file (deployed); exactly one must be set. */
  static load(source: { inline?: string; file?: string }): KeyRing {
    if (source.file && source.inline) {
      throw new KeyRingError('SESSION_SIGNING_KEYS and SESSION_SIGNING_KEYS_FILE: set only one of them');
    }
    if (source.file) {
      let json: string;
      try {
        json = readFileSync(source.file, 'utf8');
      } catch (error) {
        throw new KeyRingError(
          `SESSION_SIGNING_KEYS_FILE: cannot read ${source.file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
      return KeyRing.parse(json, 'SESSION_SIGNING_KEYS_FILE');
    }
    if (source.inline) return KeyRing.parse(source.inline, 'SESSION_SIGNING_KEYS');
    throw new KeyRingError('SESSION_SIGNING_KEYS or SESSION_SIGNING_KEYS_FILE: one of them is required');
  }
}

/** A new private signing key in the ring's JWK format. */
export function generateSigningJwk(kid: string = randomUUID()): SigningJwk {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return JwkSchema.parse({ ...jwk, kid, alg: SIGNING_ALGORITHM, use: 'sig' });
}

/** A ring's JSON from keys, first one signing. */
export function keyRingJson(keys: readonly SigningJwk[]): string {
  return JSON.stringify({ keys });
}
