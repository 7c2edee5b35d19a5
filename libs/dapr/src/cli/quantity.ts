import { CliUsageError } from '../errors/sidecar.errors';

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
};

/** A Kubernetes resource quantity as `--max-body-size` takes it (`4Mi`, `512Ki`, `2M`, `1048576`), in bytes. */
export function parseQuantity(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(k|K|M|G|Ki|Mi|Gi)?B?$/.exec(value.trim());
  if (!m) throw new CliUsageError(`${flag}: "${value}" is not a size such as 4Mi, 512Ki or 1048576`, flag);
  return Math.floor(Number(m[1]) * UNITS[m[2] ?? '']);
}
