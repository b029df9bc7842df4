/**
 * Terraform's own verdict on every synthesized stack (bootstrap, each
 * environment's platform/cluster/app, a preview): `terraform init
 * -backend=false -plugin-dir=<empty>` decodes the configuration and stops at
 * the missing provider binaries when it is valid. One synth, stacks in parallel.
 */
import { ENVIRONMENT_NAMES } from '../../config/environments';
import { stackName } from '../../config/names';
import { TERRAFORM_REQUIRED_VERSION } from '../main';
import { synthesizeAll, Synthesized } from './synthesized';
import { describeProblems, initAll, InitVerdict, requireTerraform } from './terraform';

const EXPECTED_STACKS = [
  stackName.bootstrap,
  ...ENVIRONMENT_NAMES.flatMap((e) => [stackName.platform(e), stackName.cluster(e), stackName.app(e)]),
  stackName.preview(42),
];

let s: Synthesized;
let verdicts: Map<string, InitVerdict>;
beforeAll(async () => {
  requireTerraform();
  s = synthesizeAll();
  verdicts = new Map((await initAll(s.text)).map((v) => [v.stack, v]));
}, 60_000);

describe('terraform init on every synthesized stack', () => {
  it('synthesizes every stack the deploy order names', () => {
    expect(Object.keys(s.text).sort()).toEqual([...EXPECTED_STACKS].sort());
  });

  it.each(EXPECTED_STACKS)('%s: Terraform accepts the configuration', (stack) => {
    const v = verdicts.get(stack)!;
    if (!v.valid) throw new Error(`terraform init rejected ${stack}:\n${describeProblems(v)}`);
    // Valid means it got as far as looking for providers.
    expect(v.output.replace(/\s+/g, ' ')).toMatch(
      /provider registry\.terraform\.io\/hashicorp\/\S+ was not found/,
    );
  });

  it('pins the Terraform version in every stack, and Terraform enforces it', async () => {
    for (const [stack, text] of Object.entries(s.text))
      expect([stack, JSON.parse(text).terraform.required_version]).toEqual([
        stack,
        TERRAFORM_REQUIRED_VERSION,
      ]);
    const future = JSON.parse(s.text[stackName.bootstrap]!);
    future.terraform.required_version = '>= 99.0.0';
    const [v] = await initAll({ future: JSON.stringify(future) });
    expect(v!.valid).toBe(false);
    expect(v!.output.replace(/\s+/g, ' ')).toMatch(/Unsupported Terraform Core version/);
  });

  it('names the stack, the resource and Terraform message when a configuration is invalid', async () => {
    // The defect bootstrap once had: depends_on written as an interpolation.
    const stack = JSON.parse(s.text[stackName.bootstrap]!);
    const [type, blocks] = Object.entries(stack.resource as Record<string, Record<string, object>>)[0]!;
    const [name, block] = Object.entries(blocks)[0]!;
    blocks[name] = { ...block, depends_on: [`\${${type}.${name}}`] };
    const [v] = await initAll({ broken: JSON.stringify(stack) });
    expect(v!.valid).toBe(false);
    expect(describeProblems(v!)).toContain(
      `broken: resource.${type}.${name}.depends_on: Error: Invalid expression`,
    );
    expect(describeProblems(v!)).toMatch(/A single static variable reference is required/);
  });
});
