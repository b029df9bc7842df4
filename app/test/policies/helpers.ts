/** Policy files and publishing through the operator command, as an operator runs it. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { runCommand } from '../../src/cli';
import { POLICY_COMMAND, policyMain } from '../../src/policies/cli';

export interface PolicyFileContent {
  version: string;
  effective_date: string;
  privacy_policy: { ja: string; en?: string };
  terms_of_service: { ja: string; en?: string };
}

export const policyFile = (version: string, effectiveDate: Date | string): PolicyFileContent => ({
  version,
  effective_date: typeof effectiveDate === 'string' ? effectiveDate : effectiveDate.toISOString(),
  privacy_policy: { ja: `プライバシーポリシー ${version}`, en: `Privacy policy ${version}` },
  terms_of_service: { ja: `利用規約 ${version}` },
});

const dir = mkdtempSync(path.join(tmpdir(), 'policy-files-'));

export function writeYaml(name: string, content: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : stringify(content));
  return file;
}

/** `npm run policy -- <args>` in-process: exit code, stdout and stderr. */
export async function policyCli(databaseUrl: string, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCommand(
    POLICY_COMMAND,
    [...args, '--database-url', databaseUrl],
    (parsed) => policyMain(parsed, (line) => void (stdout += `${line}\n`)),
    { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) },
  );
  return { code, stdout, stderr };
}

export async function publish(databaseUrl: string, content: PolicyFileContent, ...flags: string[]) {
  const result = await policyCli(
    databaseUrl,
    'publish',
    writeYaml(`${content.version}.yml`, content),
    ...flags,
  );
  if (result.code !== 0) throw new Error(`publish failed (${result.code}): ${result.stderr}`);
  return result;
}
