/**
 * `node dist/app/db/sql-cli.js` (in an operator Job, scripts/ops-job.ts):
 * runs the SQL script given as its one argument against DATABASE_URL in one transaction,
 * as the Job's IAM database user, and prints the rows of each statement that
 * returns any as JSON lines. The runbooks' grant and restore steps
 * (runbooks/sql/*.sql) run this way as the tables' owner, whom no operator
 * can log in as.
 */
import { Pool, type QueryResult } from 'pg';
import { inTransaction } from './pool';
import { loadMigrationConfig } from '../config';

export async function runSqlScript(databaseUrl: string, script: string): Promise<unknown[][]> {
  const pool = new Pool({ connectionString: databaseUrl, application_name: 'walk-service-sql', max: 1 });
  try {
    const results = await inTransaction(pool, (client) => client.query(script));
    const list: QueryResult[] = Array.isArray(results) ? results : [results];
    return list.filter((r) => r.rows.length > 0).map((r) => r.rows as unknown[]);
  } finally {
    await pool.end();
  }
}

if (require.main === module) {
  const script = process.argv[2];
  const config = loadMigrationConfig();
  if (!script?.trim()) {
    process.stderr.write('usage: sql-cli.js "<SQL script>"\n');
    process.exitCode = 2;
  } else {
    runSqlScript(config.databaseUrl, script)
      .then((sets) => {
        for (const rows of sets) for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
        process.stdout.write('sql: committed\n');
      })
      .catch((error: unknown) => {
        process.stderr.write(
          `sql failed, rolled back: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        process.exitCode = 1;
      });
  }
}
