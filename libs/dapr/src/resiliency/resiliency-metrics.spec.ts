import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PolicyRunner } from './policy-runner';
import { DaprMetrics } from '../observability/dapr-metrics';
import { observeResiliencyPolicy } from './resiliency-metrics';

describe('observeResiliencyPolicy', () => {
  let exporter: PrometheusExporter;
  let provider: MeterProvider;

  beforeAll(() => {
    exporter = new PrometheusExporter({ preventServerStart: true });
    provider = new MeterProvider({ readers: [exporter] });
    metrics.setGlobalMeterProvider(provider);
  });
  afterAll(async () => {
    await provider.shutdown();
    metrics.disable();
  });

  async function scrape(): Promise<string> {
    return new Promise((resolve) => {
      const res = { statusCode: 0, setHeader() {}, end: (body: string) => resolve(body) };
      exporter.getMetricsRequestHandler({} as never, res as never);
    });
  }

  it('records loaded, applied, retry activations and timeouts with Dapr labels', async () => {
    const runner = new PolicyRunner({
      target: 'component statestore (outbound)',
      retry: { name: 'quick', policy: 'constant', durationMs: 1, initialIntervalMs: 500, multiplier: 1.5, randomizationFactor: 0.5, maxIntervalMs: 0, maxElapsedMs: 0, maxRetries: 2 },
      timeout: { name: 'short', ms: 20 },
    });
    const policy = observeResiliencyPolicy(runner, { kind: 'component', name: 'statestore', direction: 'outbound' }, new DaprMetrics('app1'));
    let calls = 0;
    await policy.execute(async () => {
      if (++calls < 3) throw new Error('flaky');
      return 'ok';
    });
    await expect(policy.execute(() => new Promise((r) => setTimeout(r, 200)))).rejects.toThrow();

    const text = await scrape();
    const line = (name: string, labels: string) =>
      text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((kv) => l.includes(kv)));
    expect(line('dapr_resiliency_loaded_total', 'name="quick"')).toMatch(/ 1$/);
    expect(line('dapr_resiliency_loaded_total', 'name="short"')).toMatch(/ 1$/);
    expect(line('dapr_resiliency_count_total', 'name="quick",policy="retry",flow_direction="outbound",target="component_statestore_outbound"')).toMatch(/ 2$/);
    // 2 retries for the flaky call + 2 for the call that timed out on every attempt.
    expect(line('dapr_resiliency_activations_total', 'name="quick",policy="retry"')).toMatch(/ 4$/);
    expect(line('dapr_resiliency_activations_total', 'name="short",policy="timeout"')).toMatch(/ 1$/);
  });
});
