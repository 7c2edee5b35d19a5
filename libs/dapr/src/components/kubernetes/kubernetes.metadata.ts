import { defineMetadata } from '../../spi/kit/metadata';

export const KUBERNETES_NAME_RESOLVER_METADATA = defineMetadata({
  type: 'nameresolution.kubernetes',
  title: 'Kubernetes name resolution',
  summary: 'App id → `<app-id>.<namespace>.svc.<clusterDomain>:<port>` through cluster DNS (Dapr resolves to the `-dapr` sidecar service; here the app serves the methods itself).',
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    clusterDomain: { type: 'string', default: 'cluster.local', description: 'Cluster DNS domain.' },
    template: {
      type: 'string',
      support: 'differs',
      note: 'Dapr takes a Go template ({{.ID}}, {{.Namespace}}); nest-dapr takes {appId}, {namespace}, {clusterDomain} and {port}',
      description: 'Address pattern.',
    },
    port: { type: 'int', default: 80, min: 1, max: 65535, support: 'extension', description: 'Port of the app service.' },
    scheme: { type: 'enum', values: ['http', 'https'], default: 'http', support: 'extension', description: 'Scheme of the app service.' },
    namespace: { type: 'string', support: 'extension', description: "Namespace of the target (default: the app's, else default)." },
  },
});
