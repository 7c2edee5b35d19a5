import { defineMetadata } from '../../spi/kit/metadata';

export const HTTP_BINDING_METADATA = defineMetadata({
  type: 'bindings.http',
  title: 'HTTP (output binding)',
  summary: 'Each operation is an HTTP verb against `url` + the request metadata `path`.',
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    url: { type: 'string', required: true, description: 'Base URL (http or https).' },
    responseTimeout: { type: 'duration', default: '0', description: 'Cancel requests after this long (0: no limit).' },
    maxResponseBodySize: { type: 'byte-size', default: '100Mi', description: 'Largest response body read (a Kubernetes quantity).' },
    MTLSRootCA: { type: 'string', description: 'PEM CA for the server certificate.' },
    MTLSClientCert: { type: 'string', description: 'PEM client certificate.' },
    MTLSClientKey: { type: 'string', sensitive: true, description: 'PEM client key.' },
    MTLSRenegotiation: { type: 'string', support: 'unsupported', note: "Node's TLS does not offer Go's renegotiation modes", description: 'TLS renegotiation mode.' },
    securityToken: { type: 'string', sensitive: true, description: 'Token sent in securityTokenHeader on every request.' },
    securityTokenHeader: { type: 'string', description: 'Header that carries securityToken.' },
    errorIfNot2XX: { type: 'bool', default: true, description: 'A non-2xx answer is an error.' },
  },
});
