/**
 * Issues development material for nest-dapr's keys mode (per-app caller
 * identity without TLS): an identity authority (Ed25519 key pair, the trust
 * root) and, per app id, an Ed25519 key and the authority's credential for it
 * naming `spiffe://<trust-domain>/ns/<namespace>/<app-id>`.
 *
 *   npm run keys -- order checkout                  # → .dapr/keys/{authority,order,checkout}.*
 *   npm run keys -- --out keys --namespace shop --trust-domain example.org --days 30 order
 *
 * An existing authority.key in the output folder is reused, so apps can be
 * added later. Prints the APP_IDENTITY_* variables each app needs. Every app
 * gets authority.pub (to check callers); only the app gets its own .key.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { issueCredential } from '../libs/dapr/src/invocation/identity-credential';

const USAGE = `usage: npm run keys -- [--out DIR] [--trust-domain TD] [--namespace NS] [--days N] APP_ID...
  --out           output folder (default .dapr/keys)
  --trust-domain  trust domain in the credential's SPIFFE id (default public)
  --namespace     namespace in the SPIFFE id (default "default")
  --days          credential lifetime in days (default 365)`;

function main(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string', default: '.dapr/keys' },
      'trust-domain': { type: 'string', default: 'public' },
      namespace: { type: 'string', default: 'default' },
      days: { type: 'string', default: '365' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1) throw new Error(`--days must be a whole number of days, got "${values.days}"`);
  const out = resolve(values.out);
  mkdirSync(out, { recursive: true });
  const authority = authorityKey(out);
  for (const appId of positionals) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const credential = issueCredential(authority, publicKey, { trustDomain: values['trust-domain'], namespace: values.namespace, appId }, days * 86_400);
    write(join(out, `${appId}.key`), privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), true);
    write(join(out, `${appId}.credential`), `${credential}\n`);
    console.log(`\n# ${appId}: spiffe://${values['trust-domain']}/ns/${values.namespace}/${appId}`);
    console.log(
      `APP_IDENTITY_KEY=${join(out, `${appId}.key`)} APP_IDENTITY_CREDENTIAL=${join(out, `${appId}.credential`)} APP_IDENTITY_AUTHORITY=${join(out, 'authority.pub')}`,
    );
  }
}

function authorityKey(out: string): KeyObject {
  const keyFile = join(out, 'authority.key');
  const pubFile = join(out, 'authority.pub');
  if (existsSync(keyFile)) {
    console.log(`reusing the identity authority in ${keyFile}`);
    const key = createPrivateKey(readFileSync(keyFile, 'utf8'));
    write(pubFile, createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString());
    return key;
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  write(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), true);
  write(pubFile, publicKey.export({ type: 'spki', format: 'pem' }).toString());
  console.log(`new identity authority: ${pubFile} (keep ${keyFile} offline: it can make any app id)`);
  return privateKey;
}

function write(file: string, text: string, secret = false): void {
  writeFileSync(file, text, { mode: secret ? 0o600 : 0o644 });
  if (secret) chmodSync(file, 0o600);
}

try {
  main(process.argv.slice(2));
} catch (err) {
  console.error(`dapr-keys: ${(err as Error).message}`);
  process.exitCode = 1;
}
