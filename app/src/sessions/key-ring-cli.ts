/**
 * Edits a session signing key ring on a pipe, so key material never lands in
 * a file or a shell history (docs/sessions.md, "Rotating the signing key"):
 *
 *   key-ring-cli new [--kid K]      print a ring with one new key
 *   key-ring-cli add [--kid K]      ring on stdin + a new key at the END (verifies only)  — step 1
 *   key-ring-cli promote <kid>      move <kid> to the front (it signs from now on)       — step 2
 *   key-ring-cli retire <kid>       remove <kid> (its tokens stop verifying)             — step 3
 *   key-ring-cli show               kids in order, first signs (no key material)
 *
 * Run with `npx tsx app/src/sessions/key-ring-cli.ts` or `node dist/app/sessions/key-ring-cli.js`.
 */
import { readFileSync } from 'node:fs';
import { defineCommand, parseCommandLine, runCli, UsageError } from '../cli';
import { generateSigningJwk, KeyRing, keyRingJson, type SigningJwk } from './key-ring';

const KEY_RING = defineCommand({
  usage: `usage: key-ring-cli new|add [--kid K] | promote <kid> | retire <kid> | show   (ring on stdin)

  new [--kid K]    print a ring with one new key
  add [--kid K]    the ring on stdin plus a new key at the end (verifies only)   step 1
  promote <kid>    move <kid> to the front (it signs from now on)               step 2
  retire <kid>     remove <kid> (its tokens stop verifying)                     step 3
  show             kids in order, the first signs (no key material)`,
  options: { kid: { type: 'string' } },
  allowPositionals: true,
});

/** A kid that sorts by creation and says when the key was made. */
const defaultKid = () => `k-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`;

function parseRing(json: string): SigningJwk[] {
  KeyRing.parse(json, 'stdin'); // validates the whole ring
  return (JSON.parse(json) as { keys: SigningJwk[] }).keys;
}

function indexOf(keys: readonly SigningJwk[], kid: string | undefined): number {
  const index = keys.findIndex((key) => key.kid === kid);
  if (!kid || index < 0)
    throw new Error(
      `no key with kid "${kid ?? ''}" in the ring (have: ${keys.map((k) => k.kid).join(', ')})`,
    );
  return index;
}

/** The command's output for `argv`, the current ring read lazily from `stdin`. */
export function run(argv: readonly string[], stdin: () => string = () => readFileSync(0, 'utf8')): string {
  const readRing = () => parseRing(stdin());
  const { positionals, values } = parseCommandLine(KEY_RING, argv);
  const [command, kid] = positionals;
  let keys: SigningJwk[];
  switch (command) {
    case 'new':
      keys = [generateSigningJwk(values.kid ?? defaultKid())];
      break;
    case 'add': {
      keys = readRing();
      const fresh = generateSigningJwk(values.kid ?? defaultKid());
      if (keys.some((key) => key.kid === fresh.kid))
        throw new Error(`kid "${fresh.kid}" is already in the ring`);
      keys = [...keys, fresh];
      break;
    }
    case 'promote': {
      keys = readRing();
      const index = indexOf(keys, kid);
      if (!keys[index]?.d) throw new Error(`key "${kid}" has no private part and cannot sign`);
      keys = [keys[index] as SigningJwk, ...keys.filter((_, i) => i !== index)];
      break;
    }
    case 'retire': {
      keys = readRing();
      const index = indexOf(keys, kid);
      if (index === 0) throw new Error(`key "${kid}" signs; promote another key first`);
      keys = keys.filter((_, i) => i !== index);
      break;
    }
    case 'show':
      return `${readRing()
        .map((key, i) => `${key.kid}\t${i === 0 ? 'signs and verifies' : 'verifies'}`)
        .join('\n')}\n`;
    default:
      throw new UsageError(command ? `unknown command "${command}"` : 'which command?');
  }
  const json = keyRingJson(keys);
  KeyRing.parse(json, 'result');
  return `${json}\n`;
}

runCli(module, KEY_RING, () => {
  process.stdout.write(run(process.argv.slice(2)));
});
