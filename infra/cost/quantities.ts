/** Kubernetes resource quantities (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/). */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

function parse(quantity: string | number, what: string): { value: number; suffix: string } {
  const m = /^([0-9]+(?:\.[0-9]+)?)([a-zA-Z]*)$/.exec(String(quantity).trim());
  if (!m) throw new Error(`not a Kubernetes ${what} quantity: ${JSON.stringify(quantity)}`);
  return { value: Number(m[1]), suffix: m[2]! };
}

/** "250m", "0.5", "1" → millicores. */
export function cpuMillis(quantity: string | number): number {
  const { value, suffix } = parse(quantity, 'cpu');
  if (suffix === 'm') return value;
  if (suffix === '') return value * 1000;
  throw new Error(`unsupported cpu quantity suffix in ${JSON.stringify(quantity)}`);
}

/** "512Mi", "1Gi", "128M", bytes → MiB. */
export function memoryMiB(quantity: string | number): number {
  const { value, suffix } = parse(quantity, 'memory');
  const factor = suffix === '' ? 1 : (BINARY[suffix] ?? DECIMAL[suffix]);
  if (factor === undefined)
    throw new Error(`unsupported memory quantity suffix in ${JSON.stringify(quantity)}`);
  return (value * factor) / 2 ** 20;
}
