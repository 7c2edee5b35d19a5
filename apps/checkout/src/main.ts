import { startTracing } from '../../common/tracing';

// Tracing first (when configured), then the app: instrumentation must precede the HTTP server.
const tracing = startTracing('checkout');

const { AppModule } = require('./app.module') as typeof import('./app.module');
const { bootstrapApp } = require('../../common/bootstrap') as typeof import('../../common/bootstrap');

void bootstrapApp('checkout', AppModule, 3002, tracing);
