/**
 * Issues development certificates for nest-dapr's mTLS: a trust anchor (CA)
 * and one workload certificate per app id, with the app's SPIFFE id
 * `spiffe://<trust-domain>/ns/<namespace>/<app-id>` as URI SAN.
 *
 *   npm run certs -- order checkout                  # → .dapr/certs/{ca,order,checkout}.{crt,key}
 *   npm run certs -- --out certs --namespace shop --trust-domain example.org --days 30 --dns localhost --ip 127.0.0.1 order
 *
 * An existing ca.crt + ca.key in the output folder is reused, so apps can be
 * added later without re-issuing the others. Prints the DAPR_* variables each
 * app needs. Node only: no openssl involved.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { issueTrustAnchor, issueWorkloadCertificate, type IssuedCertificate } from './certs/x509-issuer';

const USAGE = `usage: npm run certs -- [--out DIR] [--trust-domain TD] [--namespace NS] [--days N] [--dns NAME]... [--ip ADDR]... APP_ID...
  --out           output folder (default .dapr/certs)
  --trust-domain  SPIFFE trust domain (default public, Dapr's default)
  --namespace     namespace in the SPIFFE id (default "default")
  --days          workload certificate lifetime in days (default 365)
  --dns, --ip     extra SANs for ordinary HTTPS clients (default localhost and 127.0.0.1)`;

function main(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string', default: '.dapr/certs' },
      'trust-domain': { type: 'string', default: 'public' },
      namespace: { type: 'string', default: 'default' },
      days: { type: 'string', default: '365' },
      dns: { type: 'string', multiple: true },
      ip: { type: 'string', multiple: true },
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
  const ca = trustAnchor(out, values['trust-domain']);
  for (const appId of positionals) {
    const issued = issueWorkloadCertificate(ca, {
      appId,
      namespace: values.namespace,
      trustDomain: values['trust-domain'],
      validDays: days,
      dns: values.dns ?? ['localhost'],
      ips: values.ip ?? ['127.0.0.1'],
    });
    write(join(out, `${appId}.crt`), issued.cert);
    write(join(out, `${appId}.key`), issued.key, true);
    console.log(`\n# ${appId}: ${issued.spiffeId}`);
    console.log(`DAPR_TRUST_ANCHORS=${join(out, 'ca.crt')} DAPR_CERT_CHAIN=${join(out, `${appId}.crt`)} DAPR_CERT_KEY=${join(out, `${appId}.key`)}`);
  }
}

function trustAnchor(out: string, trustDomain: string): IssuedCertificate {
  const certFile = join(out, 'ca.crt');
  const keyFile = join(out, 'ca.key');
  if (existsSync(certFile) || existsSync(keyFile)) {
    if (!existsSync(certFile) || !existsSync(keyFile)) throw new Error(`${out} has only one of ca.crt and ca.key; remove it or supply both`);
    console.log(`reusing the trust anchor in ${certFile}`);
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  }
  const ca = issueTrustAnchor({ trustDomain });
  write(certFile, ca.cert);
  write(keyFile, ca.key, true);
  console.log(`new trust anchor: ${certFile}`);
  return ca;
}

function write(file: string, text: string, secret = false): void {
  writeFileSync(file, text, { mode: secret ? 0o600 : 0o644 });
  // writeFileSync's mode only applies to new files: tighten a key that already existed too.
  if (secret) chmodSync(file, 0o600);
}

try {
  main(process.argv.slice(2));
} catch (err) {
  console.error(`dapr-certs: ${(err as Error).message}`);
  process.exitCode = 1;
}
