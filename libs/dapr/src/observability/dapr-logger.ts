import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { currentTraceIds } from './trace-context';
import { redactSecrets } from '../runtime/secret-redaction';

/**
 * A Nest logger for apps using nest-dapr: every line written while a span is
 * active (inside a subscription, binding or invocation handler) carries its
 * `trace_id` and `span_id` — appended in text mode, as fields in JSON mode — and
 * secrets and connection strings are masked. Use it like Nest's ConsoleLogger:
 * `NestFactory.create(AppModule, { logger: new DaprLogger() })`.
 */
export class DaprLogger extends ConsoleLogger {
  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    const ids = currentTraceIds();
    let out = messages.map(redactValue);
    let p = params;
    if (ids) {
      if (this.options.json) p = { ...(params ?? {}), trace_id: ids.traceId, span_id: ids.spanId };
      else out = out.map((m) => (typeof m === 'string' ? `${m} trace_id=${ids.traceId} span_id=${ids.spanId}` : m));
    }
    super.printMessages(out, context, logLevel, writeStreamType, typeof errorStack === 'string' ? redactSecrets(errorStack) : errorStack, p);
  }

  protected override printStackTrace(stack: string): void {
    super.printStackTrace(stack ? redactSecrets(stack) : stack);
  }
}

function redactValue(m: unknown): unknown {
  if (typeof m === 'string') return redactSecrets(m);
  if (m instanceof Error) {
    const copy = new Error(redactSecrets(m.message));
    copy.name = m.name;
    copy.stack = m.stack ? redactSecrets(m.stack) : undefined;
    return copy;
  }
  return m;
}
