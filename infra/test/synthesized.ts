/**
 * Reads synthesized Terraform JSON. `synthesizeAll` runs `synthInfra` once
 * per test file (module-level cache) into a temporary directory.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ConfigInput, Environments } from '../../config/environments';
import { synthInfra } from '../main';

/* eslint-disable @typescript-eslint/no-explicit-any -- Terraform JSON is untyped data */
export type Block = Record<string, any>;

export interface StackJson {
  readonly terraform: { backend?: Record<string, Block> };
  readonly resource?: Record<string, Record<string, Block>>;
  readonly data?: Record<string, Record<string, Block>>;
  readonly output?: Record<string, Block>;
  readonly provider?: Record<string, Block[]>;
}

export interface Synthesized {
  readonly config: Environments;
  readonly stacks: Readonly<Record<string, StackJson>>;
  /** Raw JSON text per stack, for scans. */
  readonly text: Readonly<Record<string, string>>;
}

/** Placeholders only; `pr` asks for a preview stack too. */
export const TEST_CONTEXT: ConfigInput = { pr: '42' };

let cached: Synthesized | undefined;

export function synthesizeAll(): Synthesized {
  cached ??= synthesizeWith(TEST_CONTEXT);
  return cached;
}

/** Synthesizes every stack with `context` (not cached: e.g. one environment paused). */
export function synthesizeWith(context: ConfigInput): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'infra-synth-'));
  try {
    const config = synthInfra(outdir, { context, env: {}, argv: [], readContextFiles: false });
    const stacks: Record<string, StackJson> = {};
    const text: Record<string, string> = {};
    for (const name of readdirSync(join(outdir, 'stacks'))) {
      text[name] = readFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8');
      stacks[name] = JSON.parse(text[name]!) as StackJson;
    }
    return { config, stacks, text };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Every resource of `type` in a stack (empty when none). */
export function resources(stack: StackJson, type: string): Block[] {
  return Object.values(stack.resource?.[type] ?? {});
}

/** The single resource of `type`; fails the test if there are 0 or several. */
export function only(stack: StackJson, type: string): Block {
  const all = resources(stack, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0]!;
}

/** Every IAM member/binding resource: [type, block]. */
export function iamResources(stack: StackJson): [string, Block][] {
  return Object.entries(stack.resource ?? {})
    .filter(([type]) => /_iam_(member|binding|policy)$/.test(type))
    .flatMap(([type, blocks]) => Object.values(blocks).map((b) => [type, b] as [string, Block]));
}
