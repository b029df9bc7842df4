/**
 * What the operator CLIs (policy, remote-config) share: the database they
 * write to and the YAML/JSON file they publish, validated before any write.
 */
import { readFileSync } from 'node:fs';
import { Pool } from 'pg';
import { parse } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../cli';
import { loadMigrationConfig } from '../config';

/** --database-url, else DATABASE_URL (the ops Job's environment). */
export function operatorPool(databaseUrl: string | undefined): Pool {
  const url = databaseUrl ?? loadMigrationConfig().databaseUrl;
  return new Pool({ connectionString: url, application_name: 'walk-service-operator', max: 1 });
}

/**
 * Reads a YAML (or JSON, a subset) file and validates it; errors name each bad
 * field. `inline` is the file's content itself (an operator Job has no files).
 */
export function readOperatorFile<S extends z.ZodType>(
  file: string | undefined,
  schema: S,
  inline?: string,
): z.output<S> {
  if (!file && inline === undefined) throw new UsageError('a file is required');
  if (file && inline !== undefined) throw new UsageError('a file or --inline, not both');
  let data: unknown;
  try {
    data = parse(inline ?? readFileSync(file!, 'utf8'));
  } catch (error) {
    throw new Error(`${file ?? '--inline'}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const result = schema.safeParse(data);
  if (!result.success)
    throw new Error(
      `${file ?? '--inline'} is invalid, nothing was published:\n${z.prettifyError(result.error)}`,
    );
  return result.data;
}
