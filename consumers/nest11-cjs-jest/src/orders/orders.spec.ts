import { INestApplication } from '@nestjs/common';
import { DaprTestHarness, DaprTestingModule } from 'nest-dapr/testing';
import request from 'supertest';
import { App } from 'supertest/types';
import { AppModule } from '../app.module';

describe('orders on nest-dapr (DaprTestingModule, in-memory twins)', () => {
  let dapr: DaprTestHarness;
  let app: INestApplication<App>;

  beforeAll(async () => {
    dapr = await DaprTestingModule.create(AppModule);
    app = dapr.app as INestApplication<App>;
  });

  afterAll(async () => {
    await dapr.close();
  });

  it('records a placed order through the subscription, its guard and its pipe', async () => {
    await request(app.getHttpServer()).post('/orders/t-1/events').send({ tenant: 'acme', sku: 'mug', quantity: 2 }).expect(202);
    await dapr.settle();
    expect(dapr.publishedData('orders')).toEqual([{ tenant: 'acme', sku: 'mug', quantity: 2, orderId: 't-1' }]);
    expect(await dapr.getState('statestore', 'audit-t-1')).toMatchObject({ orderId: 't-1', sku: 'MUG', topic: 'orders' });
  });

  it('dead-letters an event the guard refuses or the DTO rejects', async () => {
    await dapr.publish('pubsub', 'orders', { orderId: 't-2', tenant: 'unknown', sku: 'mug', quantity: 1 });
    await dapr.publish('pubsub', 'orders', { orderId: 't-3', tenant: 'acme', sku: 'mug', quantity: 0 });
    await dapr.settle();
    expect(await dapr.getState('statestore', 'audit-t-2')).toBeUndefined();
    expect(await dapr.getState('statestore', 'dead-t-2')).toMatchObject({ data: { orderId: 't-2' } });
    expect(await dapr.getState('statestore', 'dead-t-3')).toMatchObject({ data: { orderId: 't-3' } });
  });

  it('answers a stale ETag with 409 and Dapr’s error body', async () => {
    const first = await request(app.getHttpServer()).put('/orders/t-4').send({ quantity: 1 }).expect(200);
    const etag = first.headers.etag as string;
    await request(app.getHttpServer()).put('/orders/t-4').set('If-Match', etag).send({ quantity: 2 }).expect(200);
    const stale = await request(app.getHttpServer()).put('/orders/t-4').set('If-Match', etag).send({ quantity: 3 }).expect(409);
    expect(stale.body).toMatchObject({ errorCode: 'ERR_STATE_SAVE' });
  });
});
