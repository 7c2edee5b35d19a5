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

/** Slices of one side within a round; alternating them cancels most drift in background load. */
const SLICE_MS = 250;

/**
 * Warm-up on both sides, then `rounds` rounds. Within a round the two sides
 * alternate in short slices (A B B A A B ...) until each has run `roundMs`,
 * so both see the same background load; the round's ratio is candidate ops/s
 * over baseline ops/s summed across its slices.
 */
export async function runComparison(c: Comparison, opts: HarnessOptions): Promise<ComparisonResult> {
  const warm = Math.min(2000, opts.roundMs);
  await measure(c.baseline, warm, opts.inflight);
  await measure(c.candidate, warm, opts.inflight);
  const result: ComparisonResult = { name: c.name, baseline: [], candidate: [], ratios: [] };
  const slices = Math.max(1, Math.round(opts.roundMs / SLICE_MS));
  const sliceMs = opts.roundMs / slices;
  for (let r = 0; r < opts.rounds; r++) {
    const a: Sample[] = [];
    const b: Sample[] = [];
    for (let s = 0; s < slices; s++) {
      if ((r + s) % 2 === 0) {
        a.push(await measure(c.baseline, sliceMs, opts.inflight));
        b.push(await measure(c.candidate, sliceMs, opts.inflight));
      } else {
        b.push(await measure(c.candidate, sliceMs, opts.inflight));
        a.push(await measure(c.baseline, sliceMs, opts.inflight));
      }
    }
    const ra = combine(a);
    const rb = combine(b);
    result.baseline.push(ra);
    result.candidate.push(rb);
    result.ratios.push(rb.opsPerSec / ra.opsPerSec);
    console.log(
      `${c.name} round ${r + 1}: raw ${ra.opsPerSec.toFixed(0)} ops/s, nest-dapr ${rb.opsPerSec.toFixed(0)} ops/s, ratio ${(rb.opsPerSec / ra.opsPerSec).toFixed(3)}`,
    );
  }
  return result;
}

/** Equal-length slices: mean throughput; CPU per op weighted by each slice's ops. */
function combine(samples: Sample[]): Sample {
  const ops = samples.reduce((n, s) => n + s.opsPerSec, 0);
  const cpu = samples.reduce((n, s) => n + s.cpuUsPerOp * s.opsPerSec, 0);
  return { opsPerSec: ops / samples.length, cpuUsPerOp: cpu / ops };
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
