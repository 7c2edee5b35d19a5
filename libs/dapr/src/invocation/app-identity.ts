import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AccessControlSpec, DaprIdentityOptions, DaprMtlsOptions } from '../runtime/dapr-module-options.interface';
import { IdentityConfigError } from '../errors/identity.errors';
import { formatProof, isFresh, newNonce, parseProofs, proofPayload, type CallProof, type SignedCall } from './call-proof';
import { verifyCredential, type VerifiedCredential } from './identity-credential';
import { formatSpiffeId, type SpiffeId } from './spiffe-id';

/** Caller side of keys mode: signs each call with this app's Ed25519 key and presents its credential. */
export class AppKeySigner {
  constructor(
    readonly credential: string,
    private readonly key: KeyObject,
    readonly id: SpiffeId,
  ) {}

  sign(call: SignedCall, now = Date.now(), nonce = newNonce()): string {
    return formatProof('ed25519', now, nonce, sign(null, proofPayload(call, 'ed25519', now, nonce), this.key));
  }
}

const CACHE_CAP = 1_024;

/**
 * Callee side of keys mode: a caller is who its credential says only if the
 * credential is signed by one of the configured authority keys, is for the
 * claimed app id and namespace, and the call proof is signed by the
 * credential's key. Checked credentials are cached (by their text) until
 * they expire.
 */
export class CallerKeyVerifier {
  private readonly cache = new Map<string, VerifiedCredential>();

  constructor(private readonly authorities: readonly KeyObject[]) {}

  verify(credential: string | undefined, signature: string | undefined, call: SignedCall, now = Date.now()): { id: SpiffeId; proof: CallProof } | string {
    if (credential === undefined) return 'no dapr-caller-credential';
    let cred = this.cache.get(credential);
    if (cred === undefined || cred.expiresAt <= now) {
      const checked = verifyCredential(credential, this.authorities, now);
      if (typeof checked === 'string') return checked;
      if (this.cache.size >= CACHE_CAP) this.cache.clear();
      this.cache.set(credential, checked);
      cred = checked;
    }
    if (cred.id.appId !== call.caller || cred.id.namespace !== (call.namespace || 'default')) {
      return `credential is for ${cred.id.uri}, not app "${call.caller}" in namespace "${call.namespace || 'default'}"`;
    }
    for (const proof of parseProofs(signature)) {
      if (proof.alg !== 'ed25519' || !isFresh(proof.t, now)) continue;
      if (verify(null, proofPayload(call, 'ed25519', proof.t, proof.nonce), cred.key, proof.signature)) return { id: cred.id, proof };
    }
    return 'no valid, fresh ed25519 signature for this call';
  }
}

/** What keys mode needs, loaded once at start-up. */
export interface AppIdentity {
  /** Present when this app has its own key and credential: it signs its calls. */
  signer?: AppKeySigner;
  /** Present when an authority is configured: this app verifies callers by key (token proofs are refused). */
  verifier?: CallerKeyVerifier;
}

export interface AppIdentitySettings {
  identity?: DaprIdentityOptions;
  appId?: string;
  namespace?: string;
  accessControl?: AccessControlSpec;
  mtls?: DaprMtlsOptions;
}

type Fields = Record<'key' | 'credential' | 'authority', string>;
const OPTION_FIELDS: Fields = { key: 'identity.key', credential: 'identity.credential', authority: 'identity.authority' };
const ENV_FIELDS: Fields = { key: 'APP_IDENTITY_KEY', credential: 'APP_IDENTITY_CREDENTIAL', authority: 'APP_IDENTITY_AUTHORITY' };
const PUBLIC_KEY_BLOCK = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;
const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Reads `settings.identity`, else `APP_IDENTITY_*`; undefined when neither is
 * set. Throws IdentityConfigError naming the field for anything unusable: the
 * key and credential come as a pair, the key must be Ed25519 and the
 * credential's, the credential must name this app (id, namespace, trust
 * domain), be unexpired and — when an authority is configured — signed by it.
 */
export function loadAppIdentity(settings: AppIdentitySettings, env: NodeJS.ProcessEnv = process.env, now = Date.now()): AppIdentity | undefined {
  const fromOptions = settings.identity !== undefined;
  const o: DaprIdentityOptions | undefined = fromOptions
    ? settings.identity
    : env.APP_IDENTITY_KEY || env.APP_IDENTITY_CREDENTIAL || env.APP_IDENTITY_AUTHORITY
      ? { key: env.APP_IDENTITY_KEY || undefined, credential: env.APP_IDENTITY_CREDENTIAL || undefined, authority: env.APP_IDENTITY_AUTHORITY || undefined }
      : undefined;
  if (!o) return undefined;
  const fields = fromOptions ? OPTION_FIELDS : ENV_FIELDS;
  if (typeof o !== 'object' || o === null) throw new IdentityConfigError('identity', 'must be an object with key, credential and/or authority');
  if (!o.key && !o.credential && !o.authority) throw new IdentityConfigError('identity', 'needs key + credential (to sign calls) and/or authority (to verify callers)');
  if (!o.key !== !o.credential) {
    const missing = o.key ? fields.credential : fields.key;
    throw new IdentityConfigError(missing, `is required with ${o.key ? fields.key : fields.credential}: a key signs calls, its credential says whose key it is`);
  }

  let authorities: KeyObject[] | undefined;
  if (o.authority) {
    const pem = textOf(o.authority, fields.authority, (t) => t.includes('-----BEGIN'));
    const blocks = pem.match(PUBLIC_KEY_BLOCK) ?? [];
    if (blocks.length === 0) throw new IdentityConfigError(fields.authority, 'contains no PEM public key (-----BEGIN PUBLIC KEY-----)');
    authorities = blocks.map((block, i) => {
      let key: KeyObject;
      try {
        key = createPublicKey(block);
      } catch (err) {
        throw new IdentityConfigError(fields.authority, `public key #${i + 1} does not parse (${(err as Error).message})`);
      }
      if (key.asymmetricKeyType !== 'ed25519') throw new IdentityConfigError(fields.authority, `public key #${i + 1} is ${key.asymmetricKeyType}, not Ed25519`);
      return key;
    });
  }

  let signer: AppKeySigner | undefined;
  if (o.key && o.credential) {
    let key: KeyObject;
    try {
      key = createPrivateKey(textOf(o.key, fields.key, (t) => t.includes('-----BEGIN')));
    } catch (err) {
      if (err instanceof IdentityConfigError) throw err;
      throw new IdentityConfigError(fields.key, `is not an unencrypted PEM private key (${(err as Error).message})`);
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new IdentityConfigError(fields.key, `is a ${key.asymmetricKeyType} key; identity keys are Ed25519`);
    const credential = textOf(o.credential, fields.credential, (t) => JWS.test(t.trim())).trim();
    const checked = verifyCredential(credential, authorities ?? null, now);
    if (typeof checked === 'string') throw new IdentityConfigError(fields.credential, checked);
    if (!checked.key.equals(createPublicKey(key))) throw new IdentityConfigError(fields.credential, `is not for the key in ${fields.key}`);
    if (settings.appId !== undefined) {
      // Callees take our id from the credential: one naming another app would make us that app to them.
      const trustDomain = o.trustDomain ?? settings.mtls?.trustDomain ?? settings.accessControl?.trustDomain ?? 'public';
      const own = formatSpiffeId(trustDomain, settings.namespace || 'default', settings.appId);
      if (checked.id.uri !== own) throw new IdentityConfigError(fields.credential, `is for ${checked.id.uri}, but this app is ${own} (appId, namespace, trust domain)`);
    }
    signer = new AppKeySigner(credential, key, checked.id);
  }
  return { signer, verifier: authorities ? new CallerKeyVerifier(authorities) : undefined };
}

const loaded = new WeakMap<object, AppIdentity | null>();

/** The identity of one app, loaded once per resolved options object and shared by its providers. */
export function appIdentityOf(runtime: { options: AppIdentitySettings & { appId: string } }): AppIdentity | undefined {
  let identity = loaded.get(runtime.options);
  if (identity === undefined) {
    identity = loadAppIdentity(runtime.options) ?? null;
    loaded.set(runtime.options, identity);
  }
  return identity ?? undefined;
}

/** The value itself when `isInline` says it is content, else the contents of the file it names. */
function textOf(value: unknown, field: string, isInline: (text: string) => boolean): string {
  if (typeof value !== 'string' || value.trim() === '') throw new IdentityConfigError(field, 'must be text or the path of a file');
  if (isInline(value)) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new IdentityConfigError(field, `cannot read ${value} (${e.code ?? e.message})`);
  }
}
