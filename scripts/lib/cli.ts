/** The repository's command-line convention (app/src/cli.ts), for the operator CLIs in scripts/. */
export {
  EXIT,
  confirm,
  defineCommand,
  type CommandArgs,
  UsageError,
  parseCommandLine,
  runCli,
  runCommand,
  usageLine,
  type CommandSpec,
  type ParsedCommandLine,
} from '../../app/src/cli';
