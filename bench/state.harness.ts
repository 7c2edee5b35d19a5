/** One side-by-side comparison: the raw client (baseline) and the framework (candidate) doing the same work. */
export interface Comparison {
  name: string;
  baseline: (i: number) => Promise<unknown>;
  candidate: (i: number) => Promise<unknown>;
}

export interface HarnessOptions {
  rounds: number;
  roundMs: number;
  inflight: number;
}

interface Sample {
  opsPerSec: number;
  cpuUsPerOp: number;
}

export interface ComparisonResult {
  name: string;
  baseline: Sample[];
  candidate: Sample[];
  /** candidate ops/s ÷ baseline ops/s, one per round. */
  ratios: number[];
}

/**
 * Closed loop: `inflight` workers each start the next operation as soon as
 * theirs completes, for `ms`. CPU is the whole process's user+system time,
 * which is fair because only one side runs at a time.
 */
async function measure(op: (i: number) => Promise<unknown>, ms: number, inflight: number): Promise<Sample> {
  let next = 0;
  let done = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const end = Date.now() + ms;
  const worker = async () => {
    while (Date.now() < end) {
      await op(next++);
      done++;
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { opsPerSec: done / seconds, cpuUsPerOp: (cpu.user + cpu.system) / done };
}

/** Warm-up on both sides, then `rounds` interleaved rounds (A B, B A, A B ...). */
export async function runComparison(c: Comparison, opts: HarnessOptions): Promise<ComparisonResult> {
  const warm = Math.min(2000, opts.roundMs);
  await measure(c.baseline, warm, opts.inflight);
  await measure(c.candidate, warm, opts.inflight);
  const result: ComparisonResult = { name: c.name, baseline: [], candidate: [], ratios: [] };
  for (let r = 0; r < opts.rounds; r++) {
    let a: Sample;
    let b: Sample;
    if (r % 2 === 0) {
      a = await measure(c.baseline, opts.roundMs, opts.inflight);
      b = await measure(c.candidate, opts.roundMs, opts.inflight);
    } else {
      b = await measure(c.candidate, opts.roundMs, opts.inflight);
      a = await measure(c.baseline, opts.roundMs, opts.inflight);
    }
    result.baseline.push(a);
    result.candidate.push(b);
    result.ratios.push(b.opsPerSec / a.opsPerSec);
    console.log(
      `${c.name} round ${r + 1}: raw ${a.opsPerSec.toFixed(0)} ops/s, nest-dapr ${b.opsPerSec.toFixed(0)} ops/s, ratio ${(b.opsPerSec / a.opsPerSec).toFixed(3)}`,
    );
  }
  return result;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function printSummary(results: ComparisonResult[], opts: HarnessOptions): void {
  console.log(
    `\nnode ${process.version}, ${opts.rounds} rounds × ${opts.roundMs} ms, ${opts.inflight} in flight; ratio = nest-dapr ÷ raw ops/s\n`,
  );
  console.log('| Comparison | raw ops/s | nest-dapr ops/s | raw CPU µs/op | nest-dapr CPU µs/op | median ratio | worst round |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const mb = median(r.baseline.map((s) => s.opsPerSec));
    const mc = median(r.candidate.map((s) => s.opsPerSec));
    const cb = median(r.baseline.map((s) => s.cpuUsPerOp));
    const cc = median(r.candidate.map((s) => s.cpuUsPerOp));
    console.log(
      `| ${r.name} | ${mb.toFixed(0)} | ${mc.toFixed(0)} | ${cb.toFixed(1)} | ${cc.toFixed(1)} | ${median(r.ratios).toFixed(3)} | ${Math.min(...r.ratios).toFixed(3)} |`,
    );
  }
}
