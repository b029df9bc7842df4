/**
 * `npm run reset [-- --yes]`: deletes `.local/` (the local PostgreSQL data,
 * the Auth emulator's accounts, the local signing key), so the next
 * `npm start` begins empty. Refuses while the local environment runs.
 */
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { confirm, defineCommand, runCli } from '../src/cli';
import { portIsFree } from './ports';

const LOCAL_DIR = path.resolve(__dirname, '../../.local');

const RESET = defineCommand({
  usage: `usage: npm run reset [-- --yes]

Deletes .local/ (local database, emulator accounts, signing key); asks first.
  --yes   do not ask`,
  options: { yes: { type: 'boolean', default: false } },
});

runCli(module, RESET, async ({ values }) => {
  if (!existsSync(LOCAL_DIR)) {
    console.log('nothing to reset: .local/ does not exist');
    return;
  }
  const pgPort = Number(process.env.LOCAL_PG_PORT ?? 54329);
  if (!(await portIsFree(pgPort)) || !(await portIsFree(9099)))
    throw new Error('the local environment is running: stop npm start (Ctrl-C) first');
  await confirm('delete .local/ (the local database, emulator accounts and signing key)?', {
    yes: values.yes,
  });
  rmSync(LOCAL_DIR, { recursive: true, force: true });
  console.log('deleted .local/; the next npm start begins with an empty database');
});
