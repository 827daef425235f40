/** Portal sessions (kept in memory by the one local server) and the sign-in throttle (SPEC §9). */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from './users.js';

export interface Session extends Principal {
  /** Sent back by the page on every write (X-CSRF-Token), never in a cookie. */
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
}

export interface SessionLimits {
  /** A session not used for this long is over (default 30 minutes). */
  idleMs: number;
  /** A session is over this long after sign-in, however busy (default 8 hours, a working day). */
  absoluteMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMs: 30 * 60_000, absoluteMs: 8 * 3600_000 };

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/** Sessions by the hash of their cookie token, so a dump of the map holds no usable cookie. */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS, private readonly now: () => number = Date.now) {}

  /** Opens a session; returns the cookie token (shown once) and the session. */
  open(principal: Principal): { token: string; session: Session } {
    this.sweep();
    const token = randomBytes(32).toString('base64url');
    const at = this.now();
    const session: Session = { user: principal.user, province: principal.province, csrfToken: randomBytes(24).toString('base64url'), createdAt: at, lastSeenAt: at };
    this.sessions.set(digest(token), session);
    return { token, session };
  }

  /** The live session of a cookie token (its idle clock restarted), or undefined when unknown or expired. */
  get(token: string | undefined): Session | undefined {
    if (!token) return undefined;
    const key = digest(token);
    const session = this.sessions.get(key);
    if (!session) return undefined;
    const at = this.now();
    if (this.expired(session, at)) {
      this.sessions.delete(key);
      return undefined;
    }
    session.lastSeenAt = at;
    return session;
  }

  /** When the session ends if it stays idle (never after its absolute end). */
  expiresAt(session: Session): number {
    return Math.min(session.lastSeenAt + this.limits.idleMs, session.createdAt + this.limits.absoluteMs);
  }

  close(token: string | undefined): void {
    if (token) this.sessions.delete(digest(token));
  }

  private expired(session: Session, at: number): boolean {
    return at >= this.expiresAt(session);
  }

  private sweep(): void {
    const at = this.now();
    for (const [key, session] of this.sessions) if (this.expired(session, at)) this.sessions.delete(key);
  }
}

/** True when the header's token is the session's (constant-time). */
export function csrfMatches(session: Session, header: string | undefined): boolean {
  if (!header) return false;
  const a = Buffer.from(header);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface ThrottleLimits {
  /** Failed sign-ins of one user name within the window after which the next attempt answers 429 (SPEC: 5). */
  perUser: number;
  /** Failed sign-ins from one address within the window (any names) after which it answers 429. */
  perAddress: number;
  windowMs: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = { perUser: 5, perAddress: 20, windowMs: 15 * 60_000 };

/**
 * Counts failed sign-ins per user name and per client address in a sliding window. A blocked
 * name stays blocked, even for the right password, until its oldest failure leaves the window.
 */
export class SignInThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly limits: ThrottleLimits = DEFAULT_THROTTLE, private readonly now: () => number = Date.now) {}

  /** Milliseconds until the caller may try again, or 0 when it may try now. */
  retryAfterMs(user: string, address: string): number {
    const at = this.now();
    return Math.max(this.wait(`u:${user.toLowerCase()}`, this.limits.perUser, at), this.wait(`a:${address}`, this.limits.perAddress, at));
  }

  fail(user: string, address: string): void {
    const at = this.now();
    for (const key of [`u:${user.toLowerCase()}`, `a:${address}`]) this.failures.set(key, [...this.recent(key, at), at]);
  }

  /** A successful sign-in clears the name's failures (not the address's). */
  succeed(user: string): void {
    this.failures.delete(`u:${user.toLowerCase()}`);
  }

  private recent(key: string, at: number): number[] {
    const kept = (this.failures.get(key) ?? []).filter((t) => at - t < this.limits.windowMs);
    if (kept.length === 0) this.failures.delete(key);
    return kept;
  }

  private wait(key: string, limit: number, at: number): number {
    const recent = this.recent(key, at);
    if (recent.length < limit) return 0;
    return recent[recent.length - limit]! + this.limits.windowMs - at;
  }
}
