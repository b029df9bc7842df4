/**
 * `npm run reset [-- --yes]`: deletes `.local/` (the local PostgreSQL data,
 * the Auth emulator's accounts, the local signing key), so the next
 * `npm start` begins empty. Refuses while the local environment runs.
 */
import { existsSync, rmSync } from 'node:fs';
import { confirm, defineCommand, runCli } from '../src/cli';
import { localAuthEmulatorPort, localDataDir, localPgPort, shownDataDir } from './local-settings';
import { portIsFree } from './ports';

const LOCAL_DIR = localDataDir();
const SHOWN = shownDataDir();

const RESET = defineCommand({
  usage: `usage: npm run reset [-- --yes]

Deletes .local/ (or LOCAL_DATA_DIR, as npm start used it: local database, emulator accounts, signing key); asks first.
  --yes   do not ask`,
  options: { yes: { type: 'boolean', default: false } },
});

runCli(module, RESET, async ({ values }) => {
  if (!existsSync(LOCAL_DIR)) {
    console.log(`nothing to reset: ${SHOWN}/ does not exist`);
    return;
  }
  if (!(await portIsFree(localPgPort())) || !(await portIsFree(localAuthEmulatorPort())))
    throw new Error('the local environment is running: stop npm start (Ctrl-C) first');
  await confirm(`delete ${SHOWN}/ (the local database, emulator accounts and signing key)?`, {
    yes: values.yes,
  });
  rmSync(LOCAL_DIR, { recursive: true, force: true });
  console.log(`deleted ${SHOWN}/; the next npm start begins with an empty database`);
});
