import { describe, expect, it } from 'vitest';
import { csrfMatches, SessionStore, SignInThrottle } from '../../lambdas/core/portal/sessions.js';
import { receiptKeyOfId } from '../../lambdas/core/portal/receipts.js';

describe('SessionStore', () => {
  it('ends a session after the idle time, restarts the idle clock on use, and never outlives the absolute limit', () => {
    let now = 0;
    const store = new SessionStore({ idleMs: 100, absoluteMs: 250 }, () => now);
    const { token, session } = store.open({ user: 'u', province: 'JL' });
    now = 99;
    expect(store.get(token)).toBe(session);
    now = 198;
    expect(store.get(token)).toBe(session);
    expect(store.expiresAt(session)).toBe(250);
    now = 249;
    expect(store.get(token)).toBe(session);
    now = 250;
    expect(store.get(token)).toBeUndefined();
    const second = store.open({ user: 'u', province: 'JL' });
    now = 350;
    expect(store.get(second.token)).toBeUndefined();
    expect(store.get('made-up')).toBeUndefined();
  });

  it('checks the CSRF token exactly', () => {
    const { session } = new SessionStore().open({ user: 'u', province: 'JL' });
    expect(csrfMatches(session, session.csrfToken)).toBe(true);
    expect(csrfMatches(session, `${session.csrfToken}x`)).toBe(false);
    expect(csrfMatches(session, undefined)).toBe(false);
  });
});

describe('SignInThrottle', () => {
  it('blocks a name after 5 failures in the window until the oldest leaves it', () => {
    let now = 0;
    const throttle = new SignInThrottle({ perUser: 5, perAddress: 20, windowMs: 1000 }, () => now);
    for (let i = 0; i < 5; i++) {
      expect(throttle.retryAfterMs('JL-Upload', 'a')).toBe(0);
      throttle.fail('jl-upload', 'a');
      now += 100;
    }
    expect(throttle.retryAfterMs('jl-upload', 'b')).toBe(500);
    now = 1000;
    expect(throttle.retryAfterMs('jl-upload', 'b')).toBe(0);
    expect(throttle.retryAfterMs('other', 'a')).toBe(0);
  });

  it('blocks an address after its own limit across names', () => {
    const throttle = new SignInThrottle({ perUser: 5, perAddress: 3, windowMs: 1000 }, () => 0);
    for (const name of ['a', 'b', 'c']) throttle.fail(name, '10.0.0.1');
    expect(throttle.retryAfterMs('d', '10.0.0.1')).toBe(1000);
    expect(throttle.retryAfterMs('d', '10.0.0.2')).toBe(0);
  });
});

describe('receiptKeyOfId', () => {
  const id = (key: string) => Buffer.from(key).toString('base64url');
  it('gives the key of the caller\'s own receipt only', () => {
    expect(receiptKeyOfId(id('sales/JL/2026-11-18/20261120T040000000Z-sales_JL_20261118.csv'), 'JL')).toBe('receipts/sales/JL/2026-11-18/20261120T040000000Z-sales_JL_20261118.csv');
    expect(receiptKeyOfId(id('sales/GD/2026-11-18/x-sales_GD_20261118.csv'), 'JL')).toBeUndefined();
    expect(receiptKeyOfId(id('sales/JL/../x'), 'JL')).toBeUndefined();
    expect(receiptKeyOfId(id('nope/JL/2026-11-18/x'), 'JL')).toBeUndefined();
    expect(receiptKeyOfId('not base64!', 'JL')).toBeUndefined();
  });
});
