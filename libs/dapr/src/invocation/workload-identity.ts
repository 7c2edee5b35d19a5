import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AccessControlSpec, DaprMtlsOptions } from '../runtime/dapr-module-options.interface';
import { MtlsConfigError } from '../errors/mtls.errors';
import { formatSpiffeId, spiffeIdOfCertificate, type SpiffeId } from './spiffe-id';

/** This app's certificates for mutual TLS, checked and normalised to PEM. */
export interface WorkloadIdentity {
  /** The SPIFFE id in this app's certificate (= `spiffe://<trustDomain>/ns/<namespace>/<appId>`). */
  readonly id: SpiffeId;
  /** Trust anchors, PEM: the CAs a peer certificate must chain to. */
  readonly ca: string;
  /** This app's certificate chain, PEM, leaf first. */
  readonly cert: string;
  /** The leaf's private key, PKCS#8 PEM. */
  readonly key: string;
  readonly notAfter: Date;
}

/** What the identity is checked against: the app it is for. */
export interface WorkloadSettings {
  mtls?: DaprMtlsOptions;
  appId?: string;
  namespace?: string;
  accessControl?: AccessControlSpec;
}

type FieldNames = Record<'trustAnchors' | 'certChain' | 'certKey', string>;

const OPTION_FIELDS: FieldNames = { trustAnchors: 'mtls.trustAnchors', certChain: 'mtls.certChain', certKey: 'mtls.certKey' };
// Dapr's standalone names for the same three, so a sidecar's environment carries over.
const ENV_FIELDS: FieldNames = { trustAnchors: 'DAPR_TRUST_ANCHORS', certChain: 'DAPR_CERT_CHAIN', certKey: 'DAPR_CERT_KEY' };

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const MAX_CHAIN_DEPTH = 8;

/**
 * Reads and checks the mTLS material of `settings.mtls`, else of the three
 * `DAPR_*` variables when all are set; undefined when neither is configured.
 * Throws MtlsConfigError naming the option or variable when a file cannot be
 * read, PEM does not parse, an anchor is not a CA, the certificate does not
 * chain to the anchors, has expired, has no (or not exactly one) Dapr SPIFFE
 * id, is another app's, or the key is not the certificate's.
 */
export function loadWorkloadIdentity(settings: WorkloadSettings, env: NodeJS.ProcessEnv = process.env, now = new Date()): WorkloadIdentity | undefined {
  const source = settings.mtls ? { mtls: settings.mtls, fields: OPTION_FIELDS } : fromEnv(env);
  if (!source) return undefined;
  const { mtls, fields } = source;
  if (typeof mtls !== 'object' || mtls === null) throw new MtlsConfigError('mtls', 'must be an object with trustAnchors, certChain and certKey');

  const anchors = certificates(pemOf(mtls.trustAnchors, fields.trustAnchors), fields.trustAnchors);
  anchors.forEach((a, i) => {
    if (!a.ca) throw new MtlsConfigError(fields.trustAnchors, `certificate #${i + 1} (${a.subject.replace(/\n/g, ', ')}) is not a CA certificate`);
  });

  const chain = certificates(pemOf(mtls.certChain, fields.certChain), fields.certChain);
  const leaf = chain[0];
  const id = spiffeIdOfCertificate(leaf.subjectAltName);
  if ('error' in id) throw new MtlsConfigError(fields.certChain, id.error);
  const notAfter = new Date(leaf.validTo);
  if (notAfter.getTime() <= now.getTime()) throw new MtlsConfigError(fields.certChain, `certificate for ${id.uri} expired on ${notAfter.toISOString()}`);
  if (!chainsTo(leaf, chain.slice(1), anchors)) {
    throw new MtlsConfigError(fields.certChain, `certificate for ${id.uri} is not issued by the CAs in ${fields.trustAnchors} (append any intermediates after the leaf)`);
  }

  const key = privateKey(pemOf(mtls.certKey, fields.certKey), fields.certKey);
  if (!leaf.checkPrivateKey(key)) throw new MtlsConfigError(fields.certKey, `is not the private key of the certificate in ${fields.certChain}`);

  if (settings.appId !== undefined) {
    // Peers take our id from the certificate: one that names another app would make us that app to them.
    const trustDomain = settings.mtls?.trustDomain ?? settings.accessControl?.trustDomain ?? 'public';
    const own = formatSpiffeId(trustDomain, settings.namespace || 'default', settings.appId);
    if (id.uri !== own) throw new MtlsConfigError(fields.certChain, `certificate is for ${id.uri}, but this app is ${own} (appId, namespace, trust domain)`);
  }

  return {
    id,
    ca: anchors.map((c) => c.toString()).join(''),
    cert: chain.map((c) => c.toString()).join(''),
    key: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    notAfter,
  };
}

const loaded = new WeakMap<object, WorkloadIdentity | null>();

/**
 * The identity of one app, loaded once and shared by the invocation providers
 * (the first to ask fails start-up on bad configuration). Keyed by the app's
 * resolved options object, which lives as long as its runtime.
 */
export function workloadIdentityOf(runtime: { options: WorkloadSettings & { appId: string } }): WorkloadIdentity | undefined {
  let identity = loaded.get(runtime.options);
  if (identity === undefined) {
    identity = loadWorkloadIdentity(runtime.options) ?? null;
    loaded.set(runtime.options, identity);
  }
  return identity ?? undefined;
}

function fromEnv(env: NodeJS.ProcessEnv): { mtls: DaprMtlsOptions; fields: FieldNames } | undefined {
  const names = Object.values(ENV_FIELDS);
  const set = names.filter((n) => env[n]);
  if (set.length === 0) return undefined;
  if (set.length < names.length) {
    const missing = names.filter((n) => !env[n]);
    // Half a configuration would silently mean plain HTTP; say which part is absent instead.
    throw new MtlsConfigError(missing[0], `is not set, but ${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'}: mTLS needs all of ${names.join(', ')}`);
  }
  return {
    mtls: { trustAnchors: env.DAPR_TRUST_ANCHORS!, certChain: env.DAPR_CERT_CHAIN!, certKey: env.DAPR_CERT_KEY! },
    fields: ENV_FIELDS,
  };
}

/** PEM text as given, or the contents of the file it names. */
function pemOf(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new MtlsConfigError(field, 'is required: PEM text or the path of a PEM file');
  if (value.includes('-----BEGIN')) return value;
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new MtlsConfigError(field, `cannot read ${value} (${e.code ?? e.message})`);
  }
  if (!text.includes('-----BEGIN')) throw new MtlsConfigError(field, `${value} is not a PEM file`);
  return text;
}

function certificates(pem: string, field: string): X509Certificate[] {
  const blocks = pem.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) throw new MtlsConfigError(field, 'contains no PEM certificate');
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new MtlsConfigError(field, `certificate #${i + 1} does not parse (${(err as Error).message})`);
    }
  });
}

function privateKey(pem: string, field: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new MtlsConfigError(field, `is not an unencrypted PEM private key (${(err as Error).message})`);
  }
}

/** Leaf → intermediates (in any order) → one of the anchors, each link checked by signature. */
function chainsTo(leaf: X509Certificate, intermediates: X509Certificate[], anchors: X509Certificate[]): boolean {
  const issuedBy = (cert: X509Certificate, issuer: X509Certificate) => cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  const pool = [...intermediates];
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN_DEPTH; depth++) {
    if (anchors.some((a) => issuedBy(current, a))) return true;
    const i = pool.findIndex((c) => issuedBy(current, c));
    if (i < 0) return false;
    current = pool.splice(i, 1)[0];
  }
  return false;
}
