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

function timed<T>(label: string, run: () => T): T {
  const start = process.hrtime.bigint();
  const result = run();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(`${label.padEnd(12)} ${ms.toFixed(0).padStart(5)} ms\n`);
  return result;
}

try {
  timed('infra', () => synthInfra(process.env.CDKTF_OUTDIR || 'cdktf.out'));
  timed('charts', () => synthCharts('dist/charts'));
  timed('monitoring', () => synthMonitoring('dist/monitoring'));
} catch (e) {
  process.stderr.write(`synth failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
