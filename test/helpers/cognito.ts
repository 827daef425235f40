/**
 * A stand-in for the Cognito user pool's JSON API (cognito-idp), which has no local counterpart: a
 * loopback HTTP server that answers the operations the portal page sends — InitiateAuth
 * (USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH), RespondToAuthChallenge (NEW_PASSWORD_REQUIRED,
 * MFA_SETUP, SOFTWARE_TOKEN_MFA), AssociateSoftwareToken, VerifySoftwareToken, RevokeToken — as the
 * Cognito API reference describes them, for a pool like infra/portal.ts's (TOTP MFA required, no
 * client secret, user existence errors hidden). Every request is recorded and checked: the
 * X-Amz-Target and content type, the ClientId, the challenge responses; anything else is a
 * violation the test asserts on. Tokens are RS256 JWTs with Cognito's claims; `verify` checks one as
 * API Gateway's JWT authorizer does (signature, issuer, expiry, client_id or aud).
 */
import { createHmac, createSign, createVerify, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const CLIENT_ID = 'testpageclient0000000000ab';
export const POOL_ID = 'ap-southeast-1_TestPool1';

interface User {
  username: string;
  email: string;
  password: string;
  /** Created by an operator: the first sign-in must set a new password. */
  temporary: boolean;
  groups: string[];
  totpSecret?: string;
  failures: number;
}

interface AuthSession {
  username: string;
  challenge: 'NEW_PASSWORD_REQUIRED' | 'MFA_SETUP' | 'SOFTWARE_TOKEN_MFA';
  /** MFA_SETUP: the secret handed out, then verified. */
  secret?: string;
  verified?: boolean;
  expiresAt: number;
  used: boolean;
}

export interface RecordedCall {
  target: string;
  body: Record<string, unknown>;
  origin?: string;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Decode(text: string): Buffer {
  let bits = '';
  for (const c of text.replace(/[\s=]/g, '').toUpperCase()) bits += BASE32.indexOf(c).toString(2).padStart(5, '0');
  const bytes: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

function base32Encode(bytes: Buffer): string {
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += BASE32[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}

/** The RFC 6238 code of a base32 secret at `time` (SHA-1, 30 s, 6 digits), as authenticator apps show it. */
export function totp(secret: string, time = Date.now()): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(time / 30_000)));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

class CognitoFault extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

export interface CognitoStandIn {
  url: string;
  origin: string;
  issuer: string;
  calls: RecordedCall[];
  /** Requests that did not follow the protocol (wrong header, field, session or user name). */
  violations: string[];
  /** Preflights seen, with the headers they asked for. */
  preflights: string[];
  addUser(user: { username: string; email: string; password: string; temporary?: boolean; groups: string[]; totpSecret?: string }): void;
  user(username: string): { password: string; temporary: boolean; totpSecret?: string } | undefined;
  /** The next `count` calls (of `target`, if given) answer TooManyRequestsException, as Cognito throttles. */
  throttle(count: number, target?: string): void;
  /** Lifetime of the access and ID tokens issued from now on (Cognito's ExpiresIn). */
  tokenSeconds: number;
  /** Refresh tokens issued so far stop working ("Refresh Token has expired"). */
  expireRefreshTokens(): void;
  /** Moves the stand-in's clock (token expiry as the authorizer sees it). */
  advance(ms: number): void;
  /** The access token's claims when API Gateway's JWT authorizer would let it through, else undefined. */
  verify(authorization: string | undefined): Record<string, unknown> | undefined;
  close(): Promise<void>;
}

/** Starts the stand-in; `pageOrigin` is the only origin its CORS answers allow. */
export async function startCognito(pageOrigin: () => string): Promise<CognitoStandIn> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const users = new Map<string, User>();
  const sessions = new Map<string, AuthSession>();
  const refreshTokens = new Map<string, { username: string; revoked: boolean }>();
  const calls: RecordedCall[] = [];
  const violations: string[] = [];
  const preflights: string[] = [];
  let throttles: Array<string | undefined> = [];
  let offset = 0;
  const now = () => Date.now() + offset;
  let issuer = '';

  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  function jwt(claims: Record<string, unknown>): string {
    const head = `${b64({ kid: 'test-key', alg: 'RS256' })}.${b64(claims)}`;
    return `${head}.${createSign('RSA-SHA256').update(head).sign(privateKey).toString('base64url')}`;
  }

  function tokens(user: User, refresh: boolean) {
    const iat = Math.floor(now() / 1000);
    const exp = iat + state.tokenSeconds;
    const common = { sub: `sub-${user.username}`, 'cognito:groups': user.groups, iss: issuer, auth_time: iat, iat, exp, jti: randomUUID(), origin_jti: randomUUID() };
    const result: Record<string, unknown> = {
      AccessToken: jwt({ ...common, client_id: CLIENT_ID, token_use: 'access', scope: 'aws.cognito.signin.user.admin', username: user.username }),
      IdToken: jwt({ ...common, aud: CLIENT_ID, token_use: 'id', 'cognito:username': user.username, email: user.email }),
      ExpiresIn: state.tokenSeconds,
      TokenType: 'Bearer',
    };
    if (refresh) {
      const token = randomBytes(48).toString('base64url');
      refreshTokens.set(token, { username: user.username, revoked: false });
      result.RefreshToken = token;
    }
    return { AuthenticationResult: result };
  }

  function challenge(user: User, name: AuthSession['challenge']) {
    const id = randomBytes(32).toString('base64url');
    sessions.set(id, { username: user.username, challenge: name, expiresAt: now() + 15 * 60_000, used: false });
    const parameters: Record<string, string> = { USER_ID_FOR_SRP: user.username };
    if (name === 'NEW_PASSWORD_REQUIRED') Object.assign(parameters, { requiredAttributes: '[]', userAttributes: JSON.stringify({ email: user.email }) });
    if (name === 'MFA_SETUP') parameters.MFAS_CAN_SETUP = '["SOFTWARE_TOKEN_MFA"]';
    return { ChallengeName: name, Session: id, ChallengeParameters: parameters };
  }

  /** After the password (or a new one): MFA is required, so set up an app or type its code. */
  const mfaStep = (user: User) => challenge(user, user.totpSecret ? 'SOFTWARE_TOKEN_MFA' : 'MFA_SETUP');

  function need(ok: boolean, what: string): void {
    if (!ok) {
      violations.push(what);
      throw new CognitoFault('InvalidParameterException', what);
    }
  }

  function takeSession(body: Record<string, unknown>, challengeName?: string): AuthSession {
    const session = sessions.get(String(body.Session));
    if (!session || session.used || session.expiresAt < now()) throw new CognitoFault('NotAuthorizedException', 'Invalid session for the user, session is expired.');
    if (challengeName) need(session.challenge === challengeName, `ChallengeName ${challengeName} answers a session of ${session.challenge}`);
    return session;
  }

  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    InitiateAuth(body) {
      need(body.ClientId === CLIENT_ID, `ClientId ${String(body.ClientId)}`);
      const params = (body.AuthParameters ?? {}) as Record<string, string>;
      if (body.AuthFlow === 'REFRESH_TOKEN_AUTH') {
        need(typeof params.REFRESH_TOKEN === 'string' && Object.keys(params).length === 1, 'REFRESH_TOKEN_AUTH takes AuthParameters.REFRESH_TOKEN only');
        const held = refreshTokens.get(params.REFRESH_TOKEN!);
        if (!held || held.revoked) throw new CognitoFault('NotAuthorizedException', 'Refresh Token has expired');
        return tokens(users.get(held.username)!, false);
      }
      need(body.AuthFlow === 'USER_PASSWORD_AUTH', `AuthFlow ${String(body.AuthFlow)}: the app client allows USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH`);
      need(typeof params.USERNAME === 'string' && typeof params.PASSWORD === 'string' && Object.keys(params).length === 2, 'USER_PASSWORD_AUTH takes USERNAME and PASSWORD (no SECRET_HASH: the client has no secret)');
      const user = users.get(params.USERNAME!.toLowerCase()) ?? [...users.values()].find((u) => u.email === params.USERNAME!.toLowerCase());
      if (user && user.failures >= 5) throw new CognitoFault('NotAuthorizedException', 'Password attempts exceeded');
      if (!user || user.password !== params.PASSWORD) {
        if (user) user.failures++;
        throw new CognitoFault('NotAuthorizedException', 'Incorrect username or password.');
      }
      user.failures = 0;
      return user.temporary ? challenge(user, 'NEW_PASSWORD_REQUIRED') : mfaStep(user);
    },
    RespondToAuthChallenge(body) {
      need(body.ClientId === CLIENT_ID, `ClientId ${String(body.ClientId)}`);
      const responses = (body.ChallengeResponses ?? {}) as Record<string, string>;
      const session = takeSession(body, String(body.ChallengeName));
      const user = users.get(session.username)!;
      need(responses.USERNAME === user.username, `ChallengeResponses.USERNAME '${responses.USERNAME}' is not the USER_ID_FOR_SRP '${user.username}'`);
      if (body.ChallengeName === 'NEW_PASSWORD_REQUIRED') {
        need(Object.keys(responses).sort().join() === 'NEW_PASSWORD,USERNAME', `NEW_PASSWORD_REQUIRED answers USERNAME and NEW_PASSWORD, not ${Object.keys(responses).join()}`);
        const p = responses.NEW_PASSWORD!;
        if (p.length < 12 || !/[a-z]/.test(p) || !/[A-Z]/.test(p) || !/\d/.test(p) || !/[^A-Za-z0-9]/.test(p)) {
          throw new CognitoFault('InvalidPasswordException', 'Password does not conform to policy: Password must have symbol characters');
        }
        session.used = true;
        user.password = p;
        user.temporary = false;
        return mfaStep(user);
      }
      if (body.ChallengeName === 'SOFTWARE_TOKEN_MFA') {
        need(Object.keys(responses).sort().join() === 'SOFTWARE_TOKEN_MFA_CODE,USERNAME', 'SOFTWARE_TOKEN_MFA answers USERNAME and SOFTWARE_TOKEN_MFA_CODE');
        const code = responses.SOFTWARE_TOKEN_MFA_CODE!;
        if (![-30_000, 0, 30_000].some((skew) => totp(user.totpSecret!, Date.now() + skew) === code)) {
          throw new CognitoFault('CodeMismatchException', 'Invalid code or auth state for the user.');
        }
        session.used = true;
        return tokens(user, true);
      }
      need(body.ChallengeName === 'MFA_SETUP', `ChallengeName ${String(body.ChallengeName)}`);
      need(session.verified === true, 'MFA_SETUP answered with a session VerifySoftwareToken did not return');
      session.used = true;
      return tokens(user, true);
    },
    AssociateSoftwareToken(body) {
      need(body.AccessToken === undefined, 'AssociateSoftwareToken during sign-in takes the Session, not an access token');
      const session = takeSession(body, 'MFA_SETUP');
      session.used = true;
      const secret = base32Encode(randomBytes(20));
      const id = randomBytes(32).toString('base64url');
      sessions.set(id, { username: session.username, challenge: 'MFA_SETUP', secret, expiresAt: session.expiresAt, used: false });
      return { SecretCode: secret, Session: id };
    },
    VerifySoftwareToken(body) {
      const session = takeSession(body, 'MFA_SETUP');
      need(typeof session.secret === 'string' && !session.verified, 'VerifySoftwareToken needs the Session AssociateSoftwareToken returned');
      need(typeof body.UserCode === 'string' && /^\d{6}$/.test(body.UserCode), `UserCode '${String(body.UserCode)}'`);
      if (![-30_000, 0, 30_000].some((skew) => totp(session.secret!, Date.now() + skew) === body.UserCode)) {
        throw new CognitoFault('EnableSoftwareTokenMFAException', 'Code mismatch');
      }
      session.used = true;
      users.get(session.username)!.totpSecret = session.secret;
      const id = randomBytes(32).toString('base64url');
      sessions.set(id, { ...session, verified: true, used: false });
      return { Status: 'SUCCESS', Session: id };
    },
    RevokeToken(body) {
      need(body.ClientId === CLIENT_ID, `ClientId ${String(body.ClientId)}`);
      const held = refreshTokens.get(String(body.Token));
      need(held !== undefined, 'RevokeToken takes a refresh token this pool issued');
      held!.revoked = true;
      return {};
    },
  };

  const read = (req: IncomingMessage) => new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

  const server: Server = createServer((req, res) => {
    void (async () => {
      const cors = { 'access-control-allow-origin': pageOrigin(), vary: 'Origin' };
      if (req.method === 'OPTIONS') {
        preflights.push(String(req.headers['access-control-request-headers'] ?? ''));
        if (req.headers.origin !== pageOrigin()) violations.push(`preflight from ${String(req.headers.origin)}`);
        res.writeHead(200, { ...cors, 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type, x-amz-target, x-amz-user-agent', 'access-control-max-age': '600' });
        res.end();
        return;
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const text = await read(req);
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        violations.push(`body is not JSON: ${text.slice(0, 80)}`);
      }
      const operation = target.replace(/^AWSCognitoIdentityProviderService\./, '');
      calls.push({ target: operation, body, origin: req.headers.origin });
      const answer = (status: number, value: unknown) => {
        res.writeHead(status, { ...cors, 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(value));
      };
      try {
        if (req.method !== 'POST' || req.url !== '/') violations.push(`${String(req.method)} ${String(req.url)}: the API is POST /`);
        if (req.headers['content-type'] !== 'application/x-amz-json-1.1') violations.push(`${operation}: content-type ${String(req.headers['content-type'])}`);
        if (!target.startsWith('AWSCognitoIdentityProviderService.') || !operations[operation]) {
          violations.push(`X-Amz-Target '${target}'`);
          throw new CognitoFault('UnknownOperationException', `unknown operation ${target}`);
        }
        const throttled = throttles.findIndex((t) => t === undefined || t === operation);
        if (throttled >= 0) {
          throttles.splice(throttled, 1);
          throw new CognitoFault('TooManyRequestsException', 'Rate exceeded');
        }
        answer(200, operations[operation]!(body));
      } catch (error) {
        if (!(error instanceof CognitoFault)) throw error;
        answer(error.status, { __type: error.type, message: error.message });
      }
    })().catch((error: unknown) => {
      violations.push(`stand-in failed: ${(error as Error).message}`);
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer = `${origin}/${POOL_ID}`;

  const state: CognitoStandIn = {
    url: `${origin}/`, origin, issuer, calls, violations, preflights,
    tokenSeconds: 1800,
    addUser(user) {
      users.set(user.username, { temporary: false, ...user, failures: 0 });
    },
    user: (username) => users.get(username),
    throttle(count, target) {
      throttles = [...throttles, ...Array.from({ length: count }, () => target)];
    },
    expireRefreshTokens() {
      for (const held of refreshTokens.values()) held.revoked = true;
    },
    advance(ms) {
      offset += ms;
    },
    verify(authorization) {
      const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? authorization;
      const [head, payload, signature] = (token ?? '').split('.');
      if (!head || !payload || !signature) return undefined;
      if (!createVerify('RSA-SHA256').update(`${head}.${payload}`).verify(publicKey, Buffer.from(signature, 'base64url'))) return undefined;
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      if (claims.iss !== issuer || Number(claims.exp) * 1000 <= now()) return undefined;
      // API Gateway checks aud, or client_id when there is no aud (access tokens have none).
      if ((claims.aud ?? claims.client_id) !== CLIENT_ID) return undefined;
      return claims;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  return state;
}
