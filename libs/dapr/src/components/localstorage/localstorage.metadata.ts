import { defineMetadata } from '../../spi/kit/metadata';

export const LOCALSTORAGE_BINDING_METADATA = defineMetadata({
  type: 'bindings.localstorage',
  title: 'Local storage (output binding)',
  summary: '`create`, `get`, `list` and `delete` of files under rootPath.',
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    rootPath: { type: 'string', required: true, description: 'Folder every file name is resolved in (never outside it).' },
    fileName: { type: 'string', support: 'unsupported', note: 'the file name comes from each request\'s metadata', description: 'Default file name.' },
  },
});
