/**
 * `npm run token -- --email you@example.com [--name "Display Name"] [--session]`
 *
 * Signs the user up in the local Auth emulator (or signs them in) and prints
 * a Firebase ID token on stdout; with --session, trades it at the local
 * service for a session and prints the access token instead.
 */
import { type CommandArgs, defineCommand, runCli, UsageError } from '../src/cli';
import { emulatorIdToken } from './auth-emulator';
import { fetchOnce, localApiUrl, localAuthEmulatorHost } from './local-settings';

const TOKEN = defineCommand({
  usage: `usage: npm run token -- --email you@example.com [--name "Display Name"] [--session]

Signs the user up in the local Auth emulator (or in) and prints a Firebase ID token.
  --email <address>   the user (created on first use)
  --name <name>       display name for a new user
  --session           trade the ID token at the local service for a session access token`,
  options: {
    email: { type: 'string' },
    name: { type: 'string' },
    session: { type: 'boolean', default: false },
  },
});

async function main({ values }: CommandArgs<typeof TOKEN>): Promise<void> {
  if (!values.email) throw new UsageError('--email is required');
  const emulatorHost = localAuthEmulatorHost();
  const { idToken } = await emulatorIdToken(emulatorHost, values.email, 'local-password', values.name).catch(
    (error: Error) => {
      const unreachable = /fetch failed|ECONNREFUSED/.test(`${error.message} ${String(error.cause)}`);
      throw new Error(
        unreachable ? `no Auth emulator at ${emulatorHost}: run npm start first` : error.message,
      );
    },
  );
  if (!values.session) {
    process.stdout.write(`${idToken}\n`);
    return;
  }
  const service = localApiUrl();
  const res = await fetchOnce(`${service}/v1/sessions/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id_token: idToken }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!res.ok || !body.access_token) throw new Error(`login at ${service} failed with ${res.status}`);
  process.stdout.write(`${body.access_token}\n`);
}

runCli(module, TOKEN, async (args) => {
  try {
    await main(args);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new Error(`token: ${error instanceof Error ? error.message : String(error)}`);
  }
});
