import { CallerIdentity, type SignedCall } from './caller-identity';

const call: SignedCall = { caller: 'order', callee: 'checkout', namespace: 'shop', method: 'POST', path: '/orders' };

describe('CallerIdentity', () => {
  it('verifies its own signature and rejects one for another caller, path or key', () => {
    const id = new CallerIdentity('secret');
    const sig = id.sign(call, 1_000_000);
    expect(id.verify(sig, call, 1_000_500)).toBe(true);
    expect(id.verify(sig, { ...call, caller: 'mallory' }, 1_000_500)).toBe(false);
    expect(id.verify(sig, { ...call, path: '/orders/1' }, 1_000_500)).toBe(false);
    expect(new CallerIdentity('other').verify(sig, call, 1_000_500)).toBe(false);
    expect(id.verify(sig, call, 1_000_000 + 61_000)).toBe(false);
  });

  it('reuses a signature for the same call within a second, and only then', () => {
    const id = new CallerIdentity('secret');
    const first = id.signReusing(call, 5_000_000);
    expect(id.signReusing(call, 5_000_999)).toBe(first);
    expect(id.signReusing({ ...call, path: '/orders/2' }, 5_000_100)).not.toBe(first);
    const later = id.signReusing(call, 5_001_000);
    expect(later).not.toBe(first);
    expect(later.startsWith('t=5001000,')).toBe(true);
    // A reused signature is still a valid one for the call it was made for.
    expect(id.verify(first, call, 5_000_999)).toBe(true);
  });

  it('does not reuse across a clock that went backwards', () => {
    const id = new CallerIdentity('secret');
    const first = id.signReusing(call, 7_000_500);
    expect(id.signReusing(call, 7_000_000)).not.toBe(first);
  });
});
