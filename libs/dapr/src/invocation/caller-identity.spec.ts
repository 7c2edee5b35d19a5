import { generateKeyPairSync } from 'node:crypto';
import { AppKeySigner, CallerKeyVerifier, loadAppIdentity } from './app-identity';
import { bodyDigestOf, EMPTY_BODY_DIGEST, parseProofs } from './call-proof';
import { CallerIdentity, type SignedCall } from './caller-identity';
import { issueCredential, verifyCredential } from './identity-credential';
import { NonceCache } from './nonce-cache';

const call: SignedCall = {
  caller: 'order',
  namespace: 'shop',
  callee: 'checkout',
  calleeNamespace: 'shop',
  method: 'POST',
  path: '/orders?x=1',
  bodyDigest: bodyDigestOf('{"items":["a"]}'),
};

describe('CallerIdentity (token mode)', () => {
  it('verifies its own proof and rejects it for any other caller, callee, namespace, verb, path, body, key or time', () => {
    const id = new CallerIdentity('secret');
    const sig = id.sign(call, 1_700_000_000_000);
    expect(id.verify(sig, call, 1_700_000_000_500)).toMatchObject({ alg: 'hs256', t: 1_700_000_000_000 });
    const others: SignedCall[] = [
      { ...call, caller: 'mallory' },
      { ...call, callee: 'payments' },
      { ...call, namespace: 'prod' },
      { ...call, calleeNamespace: 'prod' },
      { ...call, method: 'PUT' },
      { ...call, path: '/orders?x=2' },
      { ...call, bodyDigest: bodyDigestOf('{"items":["b"]}') },
      { ...call, bodyDigest: EMPTY_BODY_DIGEST },
    ];
    for (const other of others) expect(id.verify(sig, other, 1_700_000_000_500)).toBeUndefined();
    expect(new CallerIdentity('other').verify(sig, call, 1_700_000_000_500)).toBeUndefined();
    expect(id.verify(sig, call, 1_700_000_031_000)).toBeUndefined();
    expect(id.verify(sig, call, 1_699_999_969_000)).toBeUndefined();
  });

  it('never puts the token (or anything it can be read from directly) in the proof', () => {
    const token = 'tok-' + 'x'.repeat(40);
    const sig = new CallerIdentity(token).sign(call);
    expect(sig).not.toContain(token);
    expect(sig).not.toContain(Buffer.from(token).toString('base64'));
    expect(sig).toMatch(/^v2;hs256;\d{13};[A-Za-z0-9_-]{22};[A-Za-z0-9_-]{43}$/);
  });

  it('uses a new nonce for every proof', () => {
    const id = new CallerIdentity('secret');
    const nonces = new Set(Array.from({ length: 500 }, () => parseProofs(id.sign(call))[0].nonce));
    expect(nonces.size).toBe(500);
  });

  it('ignores proofs that are not exactly the expected shape', () => {
    for (const bad of ['', 'v1;hs256;1;a;b', 't=1,v1=00', `v2;hs256;1700000000000;${'a'.repeat(22)};${'b'.repeat(86)}`, 'x'.repeat(600)]) {
      expect(parseProofs(bad)).toEqual([]);
    }
  });
});

describe('NonceCache', () => {
  it('accepts a nonce once and forgets it after the proof lifetime', () => {
    const cache = new NonceCache();
    const t = 1_700_000_000_000;
    expect(cache.add('n1', t, t)).toBe(true);
    expect(cache.add('n1', t, t + 1_000)).toBe(false);
    expect(cache.add('n2', t, t + 1_000)).toBe(true);
    cache.add('n3', t + 120_000, t + 120_000);
    expect(cache.entries).toBe(1);
  });

  it('stays bounded under load and then refuses proofs older than what it evicted', () => {
    const cache = new NonceCache(100);
    const t = 1_700_000_000_000;
    for (let i = 0; i < 100; i++) expect(cache.add(`old${i}`, t, t)).toBe(true);
    for (let i = 0; i < 100; i++) expect(cache.add(`new${i}`, t + 10_000, t + 10_000)).toBe(true);
    expect(cache.entries).toBeLessThanOrEqual(100);
    // The evicted bucket's nonces cannot be replayed: their time is now below the floor.
    expect(cache.add('old0', t, t + 10_000)).toBe(false);
  });
});

describe('identity credentials (keys mode)', () => {
  const authority = generateKeyPairSync('ed25519');
  const app = generateKeyPairSync('ed25519');
  const who = { trustDomain: 'public', namespace: 'shop', appId: 'order' };
  const credential = issueCredential(authority.privateKey, app.publicKey, who, 3600, 1_700_000_000_000);

  it('verifies against the authority and yields the app id and key', () => {
    const v = verifyCredential(credential, [authority.publicKey], 1_700_000_001_000);
    expect(v).toMatchObject({ id: { uri: 'spiffe://public/ns/shop/order', appId: 'order', namespace: 'shop' } });
    expect(typeof v !== 'string' && v.key.equals(app.publicKey)).toBe(true);
  });

  it('rejects another authority, expiry, tampering, other algorithms and bad subjects', () => {
    const other = generateKeyPairSync('ed25519');
    expect(verifyCredential(credential, [other.publicKey], 1_700_000_001_000)).toMatch(/not signed/);
    expect(verifyCredential(credential, [authority.publicKey], 1_700_003_601_000)).toMatch(/expired/);
    const [h, p, s] = credential.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'spiffe://public/ns/shop/admin' })).toString('base64url');
    expect(verifyCredential(`${h}.${forged}.${s}`, [authority.publicKey], 1_700_000_001_000)).toMatch(/not signed/);
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'dapr-credential+jwt' })).toString('base64url');
    expect(verifyCredential(`${none}.${p}.${s}`, [authority.publicKey], 1_700_000_001_000)).toMatch(/header/);
    expect(verifyCredential(`${h}.${p}`, [authority.publicKey])).toMatch(/compact JWS/);
    const bad = issueCredential(authority.privateKey, app.publicKey, { ...who, appId: '..' }, 3600, 1_700_000_000_000);
    expect(verifyCredential(bad, [authority.publicKey], 1_700_000_001_000)).toMatch(/subject/);
  });

  it('a signer proves one call; the verifier binds it to the credential, app id and namespace', () => {
    const signer = new AppKeySigner(credential, app.privateKey, { trustDomain: 'public', namespace: 'shop', appId: 'order', uri: '' });
    const verifier = new CallerKeyVerifier([authority.publicKey]);
    const now = 1_700_000_002_000;
    const sig = signer.sign(call, now);
    expect(verifier.verify(credential, sig, call, now)).toMatchObject({ id: { appId: 'order' }, proof: { alg: 'ed25519' } });
    expect(verifier.verify(credential, sig, { ...call, caller: 'payments' }, now)).toMatch(/not app "payments"/);
    expect(verifier.verify(credential, sig, { ...call, path: '/admin' }, now)).toMatch(/no valid/);
    expect(verifier.verify(undefined, sig, call, now)).toMatch(/credential/);
    // A token proof is not a key proof.
    expect(verifier.verify(credential, new CallerIdentity('t').sign(call, now), call, now)).toMatch(/no valid/);
  });

  it('loads options and refuses unusable ones naming the field', () => {
    const pem = (k: { export(o: object): string | Buffer }, type: 'pkcs8' | 'spki') => k.export({ type, format: 'pem' }).toString();
    const ok = loadAppIdentity(
      { appId: 'order', namespace: 'shop', identity: { key: pem(app.privateKey, 'pkcs8'), credential, authority: pem(authority.publicKey, 'spki') } },
      {},
      1_700_000_001_000,
    );
    expect(ok?.signer?.id.uri).toBe('spiffe://public/ns/shop/order');
    expect(ok?.verifier).toBeDefined();
    expect(() => loadAppIdentity({ appId: 'checkout', namespace: 'shop', identity: { key: pem(app.privateKey, 'pkcs8'), credential } }, {}, 1_700_000_001_000)).toThrow(
      /identity\.credential: is for spiffe:\/\/public\/ns\/shop\/order, but this app is spiffe:\/\/public\/ns\/shop\/checkout/,
    );
    expect(() => loadAppIdentity({ appId: 'order', identity: { key: pem(app.privateKey, 'pkcs8') } }, {})).toThrow(/identity\.credential: is required/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => loadAppIdentity({ appId: 'order', namespace: 'shop', identity: { key: pem(rsa.privateKey, 'pkcs8'), credential } }, {})).toThrow(/identity\.key: is a rsa key/);
    expect(() => loadAppIdentity({ appId: 'order', identity: { authority: '/nonexistent/authority.pub' } }, {})).toThrow(/identity\.authority: cannot read/);
    expect(() => loadAppIdentity({ appId: 'order' }, { APP_IDENTITY_KEY: pem(app.privateKey, 'pkcs8') })).toThrow(/APP_IDENTITY_CREDENTIAL: is required/);
    expect(loadAppIdentity({ appId: 'order' }, {})).toBeUndefined();
  });
});
