import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';

/** Admits events of known tenants only; a refused event goes to the dead-letter topic. */
@Injectable()
export class KnownTenantGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const [data] = context.getArgs<[{ tenant?: string }]>();
    return data?.tenant === 'acme';
  }
}
