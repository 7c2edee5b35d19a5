/** Kubernetes resource quantity (`100Mi`, `1G`, `2048`) in bytes; undefined when it is not one. */
export function parseQuantity(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(v.trim());
  if (!m) return undefined;
  const mult: Record<string, number> = {
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    k: 1e3,
    K: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  return Math.floor(Number(m[1]) * (m[2] ? mult[m[2]] : 1));
}
