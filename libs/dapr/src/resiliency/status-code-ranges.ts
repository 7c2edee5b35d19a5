/**
 * Dapr's `matching.httpStatusCodes` / `gRPCStatusCodes`: a comma list of codes
 * and inclusive ranges (`"429,500-599"`). Returns undefined for a well-formed
 * list and an explanation otherwise, so the caller can name the field.
 */
export class StatusCodeRanges {
  private constructor(private readonly ranges: readonly (readonly [number, number])[]) {}

  static parse(text: string, min: number, max: number): StatusCodeRanges | string {
    const ranges: [number, number][] = [];
    for (const raw of text.split(',')) {
      const part = raw.trim();
      if (part === '') continue;
      const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
      if (!m) return `"${part}" is not a code or a range such as 500-599`;
      const lo = Number(m[1]);
      const hi = m[2] === undefined ? lo : Number(m[2]);
      if (lo < min || hi > max || lo > hi) return `"${part}" is outside ${min}-${max} or reversed`;
      ranges.push([lo, hi]);
    }
    return new StatusCodeRanges(ranges);
  }

  /** An empty list matches every code, as in Dapr (no filter means retry everything). */
  matches(code: number): boolean {
    if (this.ranges.length === 0) return true;
    for (const [lo, hi] of this.ranges) if (code >= lo && code <= hi) return true;
    return false;
  }
}
