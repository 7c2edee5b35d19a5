/**
 * `@MessagePattern` requests are service invocations: the callee's
 * InvocationAccessGuard proves the caller (api token signatures) and applies
 * Dapr's accessControl before the handler runs, in an app made with
 * createMicroservice (no HTTP server: the transport serves on appPort).
 */
import { Controller, Inject, Injectable, Module, type INestApplication, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientsModule, Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { DaprModule } from 'nest-dapr';
import { ClientDapr, DaprContext, DaprRpcException, DaprTransport } from 'nest-dapr/microservices';
import { freePort } from '../support/free-port';

jest.setTimeout(60_000);

const TOKEN = 'microservices-shared-token';

@Controller()
class Vault {
  @MessagePattern({ cmd: 'whoami' })
  whoami(@Payload() _: unknown, @Ctx() ctx: DaprContext) {
    return { caller: ctx.getCallerAppId() ?? null };
  }
}

@Injectable()
class Caller {
  constructor(@Inject('VAULT') readonly client: ClientDapr) {}
}

describe('@MessagePattern over service invocation: caller identity and access control', () => {
  let vault: INestMicroservice;
  const callers: INestApplication[] = [];
  let vaultUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    vaultUrl = `http://127.0.0.1:${port}`;
    @Module({
      imports: [
        DaprModule.forRoot({
          appId: 'vault',
          appPort: port,
          apiToken: TOKEN,
          components: [{ name: 'pubsub', type: 'pubsub.in-memory' }],
          nameResolution: { component: 'static' },
          accessControl: { defaultAction: 'deny', policies: [{ appId: 'teller', defaultAction: 'allow', trustDomain: 'public', namespace: 'default' }] },
        }),
      ],
      controllers: [Vault],
    })
    class VaultApp {}
    vault = await NestFactory.createMicroservice(VaultApp, { strategy: new DaprTransport({ pubsub: 'pubsub' }), logger: false });
    await vault.listen();
  });
  afterAll(async () => {
    for (const c of callers) await c.close();
    await vault?.close();
  });

  async function callerApp(appId: string): Promise<ClientDapr> {
    @Module({
      imports: [
        DaprModule.forRoot({
          appId,
          apiToken: TOKEN,
          components: [{ name: 'pubsub', type: 'pubsub.in-memory' }],
          nameResolution: { component: 'static', configuration: { apps: { vault: vaultUrl } } },
        }),
        ClientsModule.register([{ name: 'VAULT', customClass: ClientDapr, options: { appId: 'vault' } }]),
      ],
      providers: [Caller],
    })
    class CallerApp {}
    const app = await NestFactory.create(CallerApp, { logger: false });
    await app.init();
    callers.push(app);
    return app.get(Caller).client;
  }

  it('an allowed caller is answered, and the handler sees its proven app id', async () => {
    const teller = await callerApp('teller');
    expect(await firstValueFrom(teller.send({ cmd: 'whoami' }, {}))).toEqual({ caller: 'teller' });
  });

  it('a caller the policy denies gets 403 before the handler runs', async () => {
    const thief = await callerApp('thief');
    const err = (await firstValueFrom(thief.send({ cmd: 'whoami' }, {})).catch((e: unknown) => e)) as DaprRpcException;
    expect(err).toBeInstanceOf(DaprRpcException);
    expect(err.status).toBe(403);
    expect(err.body).toMatchObject({ errorCode: 'ERR_PERMISSION_DENIED' });
  });
});
