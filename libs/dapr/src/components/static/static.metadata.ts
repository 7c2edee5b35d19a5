import { defineMetadata } from '../../spi/kit/metadata';

export const STATIC_NAME_RESOLVER_METADATA = defineMetadata({
  type: 'nameresolution.static',
  title: 'Static name resolution',
  summary: 'App ids mapped to addresses in the configuration (`apps: {checkout: http://host:3000}`); no discovery.',
  dialect: 'metadata',
  origin: 'nest-dapr',
  fields: {},
});
