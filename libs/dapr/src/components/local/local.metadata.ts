import { defineMetadata } from '../../spi/kit/metadata';

export const ENV_SECRET_STORE_METADATA = defineMetadata({
  type: 'secretstores.local.env',
  title: 'Environment variables',
  summary: 'Secrets are environment variables of the process.',
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    prefix: { type: 'string', default: '', description: 'Only variables with this prefix are visible, under their name without it.' },
  },
});

export const FILE_SECRET_STORE_METADATA = defineMetadata({
  type: 'secretstores.local.file',
  title: 'JSON file',
  summary: 'Secrets from a JSON file; nested objects are flattened with nestedSeparator.',
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    secretsFile: { type: 'string', required: true, description: 'Path of the JSON file.' },
    nestedSeparator: { type: 'string', default: ':', description: 'Joins the keys of nested objects.' },
    multiValued: { type: 'bool', default: false, description: 'Top-level keys are secrets holding several values.' },
  },
});
