import { defineMetadata } from '../../spi/kit/metadata';

export const CRON_BINDING_METADATA = defineMetadata({
  type: 'bindings.cron',
  title: 'Cron (input binding)',
  summary: 'Triggers the binding handler on a schedule (robfig/cron syntax, with seconds, and @every / @daily...).',
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    schedule: { type: 'string', required: true, description: 'Cron expression, e.g. `@every 15m` or `0 30 * * * *`.' },
    timeZone: { type: 'string', aliases: ['timezone'], support: 'extension', description: 'IANA time zone of the schedule (default: the process time zone).' },
  },
});
