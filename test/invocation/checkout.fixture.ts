import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  InvokeBody,
  InvokeGet,
  InvokeHeader,
  InvokePost,
  InvokeQuery,
  InvokeService,
  PathParam,
  remoteCall,
} from 'nest-dapr';

/** The slice of express's Response these routes use (no @types/express in the repo). */
interface Response {
  status(code: number): Response;
  type(t: string): Response;
  set(name: string, value: string): Response;
  json(body: unknown): void;
  send(body: unknown): void;
}

export interface Stock {
  sku: string;
  warehouse?: string;
  caller?: string;
  callee?: string;
  traceparent?: string;
}

/** The callee: its ordinary Nest routes are the invokable methods. */
@Controller()
export class CheckoutController {
  hits: Record<string, number> = {};
  failuresLeft = 0;
  healthy = true;

  private hit(name: string): number {
    this.hits[name] = (this.hits[name] ?? 0) + 1;
    return this.hits[name];
  }

  @Get('stock/:sku')
  stock(@Param('sku') sku: string, @Query('warehouse') warehouse: string | undefined, @Headers() h: Record<string, string>): Stock {
    this.hit('stock');
    return { sku, warehouse, caller: h['dapr-caller-app-id'], callee: h['dapr-callee-app-id'], traceparent: h.traceparent };
  }

  @Post('orders')
  @HttpCode(201)
  order(@Body() body: { items: string[] }, @Headers('x-request-id') requestId: string): { accepted: number; requestId: string } {
    this.hit('orders');
    return { accepted: body.items.length, requestId };
  }

  @Get('text')
  text(@Res() res: Response): void {
    res.type('text/plain').send('plain words');
  }

  @Get('bytes')
  bytes(@Res() res: Response): void {
    res.type('application/octet-stream').send(Buffer.from([0, 1, 2, 255]));
  }

  @Get('bad-json')
  badJson(@Res() res: Response): void {
    res.type('application/json').send('{"not": json');
  }

  @Get('missing/:id')
  missing(@Param('id') id: string, @Res() res: Response): void {
    res.status(404).set('x-reason', 'gone').json({ reason: `no ${id}` });
  }

  /** Fails with 503 `failuresLeft` times, then answers. */
  @Post('flaky')
  flaky(@Res() res: Response): void {
    this.hit('flaky');
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      res.status(503).json({ error: 'try again' });
      return;
    }
    res.status(200).json({ ok: true });
  }

  @Post('broken')
  broken(@Res() res: Response): void {
    this.hit('broken');
    res.status(500).json({ error: 'broken' });
  }

  @Get('breaker')
  breaker(@Res() res: Response): void {
    this.hit('breaker');
    if (this.healthy) res.json({ ok: true });
    else res.status(500).json({ error: 'down' });
  }

  @Post('slow')
  async slow(): Promise<{ ok: boolean }> {
    this.hit('slow');
    await new Promise((r) => setTimeout(r, 300));
    return { ok: true };
  }

  @Get('admin/:a/:b')
  admin(): { ok: boolean } {
    return { ok: true };
  }

  @Post('stock/:sku')
  restock(): { ok: boolean } {
    return { ok: true };
  }
}

/** The caller's typed client. */
@InvokeService('checkout')
export class CheckoutClient {
  @InvokeGet('stock/:sku')
  stock(@PathParam('sku') sku: string, @InvokeQuery('warehouse') warehouse?: string): Promise<Stock> {
    return remoteCall(sku, warehouse);
  }

  @InvokePost('/orders')
  order(@InvokeBody() order: { items: string[] }, @InvokeHeader('x-request-id') requestId: string): Promise<{ accepted: number; requestId: string }> {
    return remoteCall(order, requestId);
  }

  @InvokeGet('missing/:id')
  missing(@PathParam('id') id: string): Promise<unknown> {
    return remoteCall(id);
  }
}
