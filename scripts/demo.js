#!/usr/bin/env node
/**
 * The embedded demo: runs the order and checkout apps as two processes on the
 * `local` component profile (no servers) and shows that both come up with
 * their components. `--watch` keeps them running for manual use.
 */
const { spawn } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const keep = process.argv.includes('--watch');
const apps = [
  { name: 'order', port: Number(process.env.ORDER_PORT ?? 3001) },
  { name: 'checkout', port: Number(process.env.CHECKOUT_PORT ?? 3002) },
];

function start(app) {
  const child = spawn(process.execPath, [join(root, 'dist/apps', app.name, 'src/main.js')], {
    cwd: root,
    env: { ...process.env, PORT: String(app.port), DAPR_PROFILE: process.env.DAPR_PROFILE ?? 'local' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${app.name} did not start in 30s:\n${out}`)), 30000);
    const onData = (chunk) => {
      out += chunk;
      if (out.includes('listening on')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${app.name} exited with ${code}:\n${out}`)));
  });
}

async function main() {
  const children = [];
  try {
    for (const app of apps) {
      children.push(await start(app));
      console.log(`[demo] ${app.name} is up on http://127.0.0.1:${app.port}`);
    }
    if (keep) {
      console.log('[demo] running; Ctrl+C to stop');
      await new Promise((r) => process.once('SIGINT', r));
    }
  } finally {
    for (const c of children) c.kill('SIGTERM');
  }
  console.log('[demo] done');
}

main().catch((err) => {
  console.error(`[demo] ${err.message}`);
  process.exit(1);
});
