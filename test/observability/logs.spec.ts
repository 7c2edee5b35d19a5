import { Injectable, Logger } from '@nestjs/common';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Test } from '@nestjs/testing';
import { BindingsService, DaprLogger, DaprModule, OnBinding, type ComponentDefinition } from 'nest-dapr';
import { redactSecrets } from '../../libs/dapr/src/runtime/secret-redaction';

/** Captures everything Nest loggers write to stdout/stderr. */
function captureOutput() {
  const lines: string[] = [];
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  return {
    text: () => lines.join(''),
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

@Injectable()
class TickHandler {
  private readonly logger = new Logger('TickHandler');
  ticks = 0;

  @OnBinding('ticker')
  onTick() {
    this.ticks++;
    this.logger.log('handling tick');
  }
}

describe('logs: trace ids inside handlers, no secrets anywhere', () => {
  const exporter = new InMemorySpanExporter();

  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  });
  afterAll(() => {
    trace.disable();
    context.disable();
  });

  it('adds trace_id and span_id of the handler span to every line logged inside a binding handler', async () => {
    const out = captureOutput();
    const moduleRef = await Test.createTestingModule({
      imports: [DaprModule.forRoot({ appId: 'logs', components: [{ name: 'ticker', type: 'bindings.cron', metadata: { schedule: '@every 1s' } }] })],
      providers: [TickHandler],
    }).compile();
    moduleRef.useLogger(new DaprLogger());
    try {
      await moduleRef.init();
      const h = moduleRef.get(TickHandler);
      const deadline = Date.now() + 5000;
      while (h.ticks === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await moduleRef.close();
    } finally {
      out.restore();
    }
    const line = out.text().split('\n').find((l) => l.includes('handling tick'));
    expect(line).toBeDefined();
    const m = /trace_id=([0-9a-f]{32}) span_id=([0-9a-f]{16})/.exec(line!);
    expect(m).not.toBeNull();
    const span = exporter.getFinishedSpans().find((s) => s.name === 'bindings/ticker');
    expect(span?.spanContext().traceId).toBe(m![1]);
    expect(span?.spanContext().spanId).toBe(m![2]);
    // Outside a handler there is no span: start-up lines carry no ids.
    const startup = out.text().split('\n').find((l) => l.includes('input binding "ticker"'));
    expect(startup).toBeDefined();
    expect(startup).not.toMatch(/trace_id=/);
  });

  it('never shows passwords, tokens or connection strings in errors or logs when components fail', async () => {
    const secrets = ['hunter2-SUPER-secret', 'S3cretPgPassw0rd', 'tok-9f8e7d6c5b4a', 'pa55w0rd-XYZ'];
    const out = captureOutput();
    const errors: string[] = [];
    try {
      const failing: ComponentDefinition[] = [
        { name: 'cache', type: 'bindings.redis', metadata: { redisHost: '127.0.0.1:1', redisPassword: secrets[0] } },
        { name: 'db', type: 'bindings.postgresql', metadata: { connectionString: `postgres://postgres:${secrets[1]}@127.0.0.1:1/test` } },
        { name: 'db2', type: 'bindings.postgresql', metadata: { connectionString: `host=127.0.0.1 port=1 user=postgres password=${secrets[1]}` } },
      ];
      for (const component of failing) {
        const err = await Test.createTestingModule({ imports: [DaprModule.forRoot({ appId: 'secrets', components: [component] })] })
          .compile()
          .then(
            () => undefined,
            (e: Error) => e,
          );
        expect(err).toBeInstanceOf(Error);
        errors.push(`${err!.message}\n${err!.stack}\n${String((err as { cause?: unknown }).cause)}`);
      }

      const moduleRef = await Test.createTestingModule({
        imports: [
          DaprModule.forRoot({
            appId: 'secrets',
            components: [
              {
                name: 'api',
                type: 'bindings.http',
                metadata: { url: `http://admin:${secrets[3]}@127.0.0.1:1/x`, securityToken: secrets[2], securityTokenHeader: 'X-Token' },
              },
            ],
          }),
        ],
      }).compile();
      moduleRef.useLogger(new DaprLogger());
      await moduleRef.init();
      const err = await moduleRef.get(BindingsService).invoke('api', 'get').then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(Error);
      errors.push(`${err!.message}\n${err!.stack}`);
      new Logger('App').error(`call failed: ${err!.message}; configured url http://admin:${secrets[3]}@127.0.0.1:1/x`);
      await moduleRef.close();
    } finally {
      out.restore();
    }
    const everything = errors.join('\n') + out.text();
    for (const s of secrets) expect(everything).not.toContain(s);
    expect(everything).toContain('[REDACTED]');
  });

  it('redacts URL credentials and key=value secrets in free text', () => {
    expect(redactSecrets('dial postgres://u:pw123@db:5432/x failed')).toBe('dial postgres://u:[REDACTED]@db:5432/x failed');
    expect(redactSecrets('host=db password=abc123 user=u')).toBe('host=db password=[REDACTED] user=u');
    expect(redactSecrets('Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=zzz;')).toBe(
      'Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=[REDACTED];',
    );
  });
});
