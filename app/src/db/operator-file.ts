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

/** Reads a YAML (or JSON, a subset) file and validates it; errors name each bad field. */
export function readOperatorFile<S extends z.ZodType>(file: string | undefined, schema: S): z.output<S> {
  if (!file) throw new UsageError('a file is required');
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const result = schema.safeParse(data);
  if (!result.success)
    throw new Error(`${file} is invalid, nothing was published:\n${z.prettifyError(result.error)}`);
  return result.data;
}
