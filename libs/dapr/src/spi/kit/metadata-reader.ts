import { ComponentConfigError } from '../../errors/component-config.error';
import { parseDuration } from './duration';

/**
 * Typed, case-insensitive access to a driver's resolved metadata, the way
 * Dapr's `kit/metadata` decodes component properties. Every failure names the
 * component and the field so a bad YAML value is easy to find.
 */
export class MetadataReader {
  private readonly lower = new Map<string, string>();

  constructor(
    readonly component: string,
    ...sources: (Record<string, string> | undefined)[]
  ) {
    // Later sources win: callers pass component metadata first, then the
    // subscription's, like Dapr merging subscription metadata over the component's.
    for (const src of sources) {
      for (const [k, v] of Object.entries(src ?? {})) {
        if (v !== undefined && v !== null && v !== '') this.lower.set(k.toLowerCase(), String(v));
      }
    }
  }

  /** First present name wins (aliases such as `clientId` / `clientID`). */
  string(...names: string[]): string | undefined {
    for (const n of names) {
      const v = this.lower.get(n.toLowerCase());
      if (v !== undefined) return v;
    }
    return undefined;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.string(name);
    if (v === undefined) return fallback;
    const t = v.trim().toLowerCase();
    if (['true', '1', 'yes', 'y', 'on'].includes(t)) return true;
    if (['false', '0', 'no', 'n', 'off'].includes(t)) return false;
    throw this.error(name, `"${v}" is not a boolean`);
  }

  /** An integer ≥ `min`; with an `undefined` fallback an absent field stays undefined (create-only options). */
  int(name: string, fallback: number, min?: number): number;
  int(name: string, fallback: undefined, min?: number): number | undefined;
  int(name: string, fallback: number | undefined, min = Number.MIN_SAFE_INTEGER): number | undefined {
    const v = this.string(name);
    if (v === undefined) return fallback;
    if (!/^-?\d+$/.test(v.trim())) throw this.error(name, `"${v}" is not an integer`);
    const n = Number(v);
    if (n < min) throw this.error(name, `must be at least ${min}, got ${n}`);
    return n;
  }

  /** A Go duration (`5s`, `250ms`); a bare number means milliseconds, as Dapr reads these fields. */
  durationMs(name: string, fallback: number): number {
    const v = this.string(name);
    if (v === undefined) return fallback;
    if (/^\d+$/.test(v.trim())) return Number(v);
    const ms = parseDuration(v);
    if (ms === undefined) throw this.error(name, `"${v}" is not a duration (e.g. 5s, 250ms)`);
    return ms;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.string(name);
    if (v === undefined) return fallback;
    const hit = allowed.find((a) => a.toLowerCase() === v.trim().toLowerCase());
    if (!hit) throw this.error(name, `"${v}" is not one of ${allowed.join(', ')}`);
    return hit;
  }

  error(field: string, problem: string): ComponentConfigError {
    return new ComponentConfigError(
      `component "${this.component}": metadata "${field}" ${problem}`,
      undefined,
      this.component,
      field,
    );
  }
}
