import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpExchange } from './http-exchange';
import { HttpRouter } from './http-router';

const exchange = (method: string, path: string, query = '') =>
  new HttpExchange({ method, headers: {} } as IncomingMessage, {} as ServerResponse, path, query, 1024);

describe('HttpRouter', () => {
  const router = new HttpRouter();
  const hit = (name: string) => () => {
    void name;
  };
  const handlers = { get: hit('get'), save: hit('save'), bulk: hit('bulk'), publish: hit('publish') };
  router.add('GET', '/v1.0/state/:store/:key', handlers.get);
  router.add(['POST', 'PUT'], '/v1.0/state/:store', handlers.save);
  router.add(['POST', 'PUT'], '/v1.0/state/:store/bulk', handlers.bulk);
  router.add('POST', '/v1.0/publish/:pubsub/*topic', handlers.publish);

  it('matches literal segments and decodes parameters', () => {
    const x = exchange('GET', '/v1.0/state/store/a%20b');
    expect(router.match(x)?.handler).toBe(handlers.get);
    expect(x.params).toEqual({ store: 'store', key: 'a b' });
  });

  it('prefers the route whose verb fits and reports the allowed verbs otherwise', () => {
    expect(router.match(exchange('POST', '/v1.0/state/s/bulk'))?.handler).toBe(handlers.bulk);
    expect(router.match(exchange('DELETE', '/v1.0/state/s'))).toEqual({ allowed: ['POST', 'PUT'] });
    expect(router.match(exchange('GET', '/v1.0/nothing'))).toBeUndefined();
  });

  it('gives a rest parameter the remainder of the path, decoded and raw', () => {
    const x = exchange('POST', '/v1.0/publish/p/a/b%2Fc');
    expect(router.match(x)?.handler).toBe(handlers.publish);
    expect(x.params.topic).toBe('a/b/c');
    expect(x.rest).toBe('a/b%2Fc');
  });

  it('reads metadata.* query parameters, first value wins', () => {
    const x = exchange('GET', '/x', 'metadata.ttlInSeconds=5&metadata.ttlInSeconds=6&other=1&metadata.partitionKey=k');
    expect(x.metadata()).toEqual({ ttlInSeconds: '5', partitionKey: 'k' });
  });
});
