/**
 * The command-line convention of every CLI in the repository (the npm
 * scripts, scripts/*.ts, and the image's migrate and key-ring CLIs):
 *
 * - arguments are parsed by node:util parseArgs, strictly;
 * - `--help` / `-h` prints the usage on stdout and exits 0 before anything runs;
 * - an unknown flag, a missing value or a wrong argument prints the problem
 *   and the usage line on stderr and exits 2;
 * - any other failure prints its message (no stack trace) and exits 1.
 *
 * It lives in app/src so the image's own CLIs can use it; scripts/lib/cli.ts
 * re-exports it for the operator CLIs.
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A mistake in the command line: exit 2 with the usage line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec<O extends Options> {
  /** The whole help text; its first line is the usage line repeated on errors. */
  readonly usage: string;
  /** Flags besides `--help`, as node:util parseArgs takes them. */
  readonly options: O;
  /** @default false: any positional argument is a usage error */
  readonly allowPositionals?: boolean;
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

type Config<O extends Options> = {
  args: string[];
  options: O & typeof HELP;
  allowPositionals: boolean;
  strict: true;
};
export type ParsedCommandLine<O extends Options> = ReturnType<typeof parseArgs<Config<O>>>;

/** A command's spec with its option types kept exact (for `CommandArgs`). */
export function defineCommand<const O extends Options>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

/** What `main` receives for a spec made by `defineCommand`. */
export type CommandArgs<S> = S extends CommandSpec<infer O> ? ParsedCommandLine<O> : never;

/** Parses `argv` by `spec`; a parse failure becomes a UsageError. */
export function parseCommandLine<O extends Options>(
  spec: CommandSpec<O>,
  argv: readonly string[],
): ParsedCommandLine<O> {
  try {
    return parseArgs<Config<O>>({
      args: [...argv],
      options: { ...spec.options, ...HELP },
      allowPositionals: spec.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    // node adds a hint about `--` after the first sentence; the usage line says more
    throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
}

export const usageLine = (usage: string): string => usage.split('\n')[0] ?? usage;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/**
 * Parses the command line, answers `--help`, runs `main` and maps the outcome
 * to an exit code (see the module comment). Returns the code; does not exit.
 */
export async function runCommand<O extends Options>(
  spec: CommandSpec<O>,
  argv: readonly string[],
  main: (args: ParsedCommandLine<O>) => number | void | Promise<number | void>,
  io: CliIo = processIo,
): Promise<number> {
  try {
    const args = parseCommandLine(spec, argv);
    if ((args.values as { help?: boolean }).help) {
      io.stdout(`${spec.usage.trimEnd()}\n`);
      return EXIT.ok;
    }
    return (await main(args)) ?? EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n${usageLine(spec.usage)}\n(--help for more)\n`);
      return EXIT.usage;
    }
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  }
}

/** `runCommand` when `entry` is the process's main module; sets the exit code. */
export function runCli<O extends Options>(
  entry: NodeJS.Module,
  spec: CommandSpec<O>,
  main: (args: ParsedCommandLine<O>) => number | void | Promise<number | void>,
): void {
  if (require.main !== entry) return;
  void runCommand(spec, process.argv.slice(2), main).then((code) => {
    process.exitCode = code;
  });
}

/**
 * Asks before something destructive. `--yes` skips the question; without a
 * terminal to ask on (CI, a pipe) it refuses rather than guess.
 */
export async function confirm(
  question: string,
  options: { readonly yes: boolean; readonly input?: NodeJS.ReadableStream & { isTTY?: boolean } },
): Promise<void> {
  if (options.yes) return;
  const input = options.input ?? process.stdin;
  if (!input.isTTY) throw new UsageError(`${question} Not a terminal: add --yes to go ahead.`);
  const rl = createInterface({ input, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new Error('stopped: nothing was changed');
  } finally {
    rl.close();
  }
}
