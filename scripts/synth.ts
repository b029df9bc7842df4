/**
 * `npm run synth`: every reviewable artefact in one run —
 * Terraform JSON (cdktf.out/stacks/<stack>/), Kubernetes YAML
 * (dist/charts/<env>/) and monitoring artefacts (dist/monitoring/).
 * Context and environment variables are read as `infra/main.ts` documents
 * (`-c key=value` arguments pass through).
 */
import { synthCharts } from '../charts/main';
import { synthInfra } from '../infra/main';
import { synthMonitoring } from '../monitoring/main';
import { defineCommand, runCli } from './lib/cli';

function timed<T>(label: string, run: () => T): T {
  const start = process.hrtime.bigint();
  const result = run();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(`${label.padEnd(12)} ${ms.toFixed(0).padStart(5)} ms\n`);
  return result;
}

export const SYNTH = defineCommand({
  usage: `usage: npm run synth [-- -c key=value ...]

Writes Terraform JSON to cdktf.out/stacks/<stack>/ (CDKTF_OUTDIR), Kubernetes YAML to
dist/charts/<env>/ and monitoring artefacts to dist/monitoring/.
  -c, --context k=v  a cdktf context value (also TEKUTOKO_* variables; see infra/main.ts)`,
  options: { context: { type: 'string', short: 'c', multiple: true } },
});

runCli(module, SYNTH, ({ values }) => {
  const argv = (values.context ?? []).flatMap((pair) => ['-c', pair]);
  try {
    timed('infra', () => synthInfra(process.env.CDKTF_OUTDIR || 'cdktf.out', { argv }));
    timed('charts', () => synthCharts('dist/charts'));
    timed('monitoring', () => synthMonitoring('dist/monitoring'));
  } catch (e) {
    throw new Error(`synth failed: ${e instanceof Error ? e.message : String(e)}`);
  }
});
