import { startTracing } from '../../common/tracing';

// Tracing first (when configured), then the app: instrumentation must precede the HTTP server.
const tracing = startTracing('order');

const { AppModule } = require('./app.module') as typeof import('./app.module');
const { bootstrapApp } = require('../../common/bootstrap') as typeof import('../../common/bootstrap');

void bootstrapApp('order', AppModule, 3001, tracing);
