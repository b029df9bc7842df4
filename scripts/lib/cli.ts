/**
 * Runs an operator CLI's `main(argv)` when its file is executed directly:
 * the exit code is what `main` returns, and an error ends the process with
 * its message only (no stack trace for an operator to wade through).
 */
export function runCli(entry: NodeJS.Module, main: (argv: string[]) => number): void {
  if (require.main !== entry) return;
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
