import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import {
  bitString,
  boolean,
  explicit,
  implicitPrimitive,
  namedBits,
  objectIdentifier,
  octetString,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './der';

/**
 * Issues the certificates nest-dapr's mTLS uses, with node's crypto alone (no
 * openssl, no dependency): a self-signed CA as trust anchor, and workload
 * certificates whose URI SAN is the app's SPIFFE id
 * `spiffe://<trustDomain>/ns/<namespace>/<appId>`, usable as server and as
 * client certificate. Keys are ECDSA P-256, signatures ECDSA with SHA-256.
 * For development and tests; production identities come from your own CA.
 */

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};
const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 };
const DAY_MS = 86_400_000;
// Certificates start a little in the past so that a peer whose clock is slightly behind accepts them.
const BACKDATE_MS = 5 * 60_000;

/** A certificate and its private key, both PEM. */
export interface IssuedCertificate {
  cert: string;
  key: string;
}

export interface TrustAnchorOptions {
  trustDomain?: string;
  commonName?: string;
  validDays?: number;
  now?: Date;
}

export interface WorkloadCertificateOptions {
  appId: string;
  namespace?: string;
  trustDomain?: string;
  /** Another URI instead of the app's SPIFFE id, or null for none (to test what rejects it). */
  spiffeId?: string | null;
  /** Extra SANs, so that ordinary HTTPS clients can check the host name too. */
  dns?: string[];
  ips?: string[];
  validDays?: number;
  now?: Date;
}

export function spiffeIdFor(appId: string, namespace = 'default', trustDomain = 'public'): string {
  return `spiffe://${trustDomain}/ns/${namespace}/${appId}`;
}

/** A self-signed CA for a trust domain: what DAPR_TRUST_ANCHORS points at. */
export function issueTrustAnchor(options: TrustAnchorOptions = {}): IssuedCertificate {
  const trustDomain = options.trustDomain ?? 'public';
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const subject = name([
    [OID.organization, trustDomain],
    [OID.commonName, options.commonName ?? `nest-dapr trust anchor (${trustDomain})`],
  ]);
  const ski = keyIdentifier(spki);
  const cert = certificate({
    issuer: subject,
    subject,
    spki,
    validDays: options.validDays ?? 3650,
    now: options.now,
    extensions: [
      extension(OID.basicConstraints, true, sequence(boolean(true))),
      extension(OID.keyUsage, true, namedBits([KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])),
      extension(OID.subjectKeyIdentifier, false, octetString(ski)),
    ],
    signer: privateKey,
  });
  return { cert, key: pemKey(privateKey) };
}

/** A workload certificate for one app, signed by `issuer` (a CA from issueTrustAnchor, or any CA's cert and key). */
export function issueWorkloadCertificate(issuer: IssuedCertificate, options: WorkloadCertificateOptions): IssuedCertificate & { spiffeId?: string } {
  const ca = new X509Certificate(issuer.cert);
  const caKey = createPrivateKey(issuer.key);
  if (!ca.ca) throw new Error('issuer certificate is not a CA');
  if (!ca.checkPrivateKey(caKey)) throw new Error("issuer key is not the issuer certificate's key");
  const caParts = tbsParts(ca.raw);

  const spiffeId =
    options.spiffeId === null ? undefined : (options.spiffeId ?? spiffeIdFor(options.appId, options.namespace, options.trustDomain));
  const names: Buffer[] = [];
  if (spiffeId) names.push(implicitPrimitive(6, Buffer.from(spiffeId, 'ascii')));
  for (const dns of options.dns ?? []) names.push(implicitPrimitive(2, Buffer.from(dns, 'ascii')));
  for (const ip of options.ips ?? []) names.push(implicitPrimitive(7, ipBytes(ip)));

  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const extensions = [
    extension(OID.basicConstraints, true, sequence()),
    extension(OID.keyUsage, true, namedBits([KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment])),
    extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth), objectIdentifier(OID.clientAuth))),
    extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(spki))),
    extension(OID.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, caParts.keyId))),
  ];
  if (names.length) extensions.push(extension(OID.subjectAltName, false, sequence(...names)));
  const cert = certificate({
    issuer: caParts.subject,
    subject: name([[OID.commonName, options.appId]]),
    spki,
    validDays: options.validDays ?? 365,
    now: options.now,
    extensions,
    signer: caKey,
  });
  if (!new X509Certificate(cert).verify(ca.publicKey)) throw new Error('issued certificate does not verify against its issuer');
  return { cert, key: pemKey(privateKey), spiffeId };
}

function certificate(p: {
  issuer: Buffer;
  subject: Buffer;
  spki: Buffer;
  validDays: number;
  now?: Date;
  extensions: Buffer[];
  signer: KeyObject;
}): string {
  const now = p.now ?? new Date();
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x01; // positive and never zero, as RFC 5280 asks
  const algorithm = sequence(objectIdentifier(OID.ecdsaWithSha256));
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(serial),
    algorithm,
    p.issuer,
    sequence(time(new Date(now.getTime() - BACKDATE_MS)), time(new Date(now.getTime() + p.validDays * DAY_MS))),
    p.subject,
    p.spki,
    explicit(3, sequence(...p.extensions)),
  );
  // node signs ECDSA in DER (ECDSA-Sig-Value), which is what X.509 carries.
  const signature = sign('sha256', tbs, p.signer);
  return pem('CERTIFICATE', sequence(tbs, algorithm, bitString(signature)));
}

function name(attributes: [string, string][]): Buffer {
  return sequence(...attributes.map(([oid, value]) => set(sequence(objectIdentifier(oid), utf8String(value)))));
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(objectIdentifier(oid), boolean(true), octetString(value)) : sequence(objectIdentifier(oid), octetString(value));
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(spki: Buffer): Buffer {
  const [, key] = children(spki);
  return createHash('sha1').update(contentOf(key).subarray(1)).digest();
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function pemKey(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new Error(`"${ip}" is not an IP address`);
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return Buffer.concat(all.map((g) => Buffer.from(g.padStart(4, '0'), 'hex')));
}

// Reading back what an issuer certificate holds: its subject (a leaf's issuer
// must be that exact encoding) and its key identifier (the leaf's authority key id).

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

function header(der: Buffer, offset: number): Tlv {
  const tag = der[offset];
  let length = der[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[start + i];
    start += n;
  }
  return { tag, start, end: start + length };
}

/** The TLVs inside a constructed value, each as its full encoding. */
function children(der: Buffer): Buffer[] {
  const outer = header(der, 0);
  const out: Buffer[] = [];
  for (let at = outer.start; at < outer.end; ) {
    const h = header(der, at);
    out.push(der.subarray(at, h.end));
    at = h.end;
  }
  return out;
}

function contentOf(der: Buffer): Buffer {
  const h = header(der, 0);
  return der.subarray(h.start, h.end);
}

function tbsParts(certDer: Buffer): { subject: Buffer; keyId: Buffer } {
  const tbs = children(children(certDer)[0]);
  const o = tbs[0][0] === 0xa0 ? 1 : 0; // [0] version is present in v3 certificates
  const subject = tbs[o + 4];
  const spki = tbs[o + 5];
  const extensionsField = tbs.find((t) => t[0] === 0xa3);
  const skiOid = objectIdentifier(OID.subjectKeyIdentifier);
  for (const ext of extensionsField ? children(contentOf(extensionsField)) : []) {
    const [oid, ...rest] = children(ext);
    if (oid.equals(skiOid)) return { subject, keyId: contentOf(contentOf(rest[rest.length - 1])) };
  }
  return { subject, keyId: keyIdentifier(spki) };
}
