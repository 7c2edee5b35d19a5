/** Checks an object is a CloudEvents 1.0 JSON envelope as Dapr writes it (reference §3.1). */
export function expectDaprCloudEvent(
  ce: Record<string, unknown>,
  expected: { source: string; topic: string; pubsubname: string; data: unknown },
): void {
  expect(ce.specversion).toBe('1.0');
  expect(ce.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  expect(ce.source).toBe(expected.source);
  expect(ce.type).toBe('com.dapr.event.sent');
  expect(ce.datacontenttype).toBe('application/json');
  expect(ce.topic).toBe(expected.topic);
  expect(ce.pubsubname).toBe(expected.pubsubname);
  expect(ce.data).toEqual(expected.data);
  expect(String(ce.time)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/);
  expect(String(ce.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
  expect(ce.traceid).toBe(ce.traceparent);
}
