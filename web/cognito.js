// Sign-in against the portal's Cognito user pool (SPEC §9 in AWS), spoken directly: the user pool's
// JSON API over fetch, as the AWS SDKs send it. USER_PASSWORD_AUTH (README "Branch upload portal"
// says why), the challenges a pool with required TOTP MFA gives (NEW_PASSWORD_REQUIRED at a first
// sign-in, then MFA_SETUP; SOFTWARE_TOKEN_MFA after), token refresh and revocation. Tokens are
// returned to the caller and kept nowhere here.

/** A refusal by Cognito (`code` is its exception name, e.g. NotAuthorizedException) or no answer (`NetworkError`). */
export class CognitoError extends Error {
  constructor(code, message, status) {
    super(message || code);
    this.name = 'CognitoError';
    this.code = code;
    this.status = status;
  }

  /** Cognito or its front door is throttling: try again later, nothing is wrong with the user's input. */
  get throttled() {
    return this.status === 429 || this.code === 'TooManyRequestsException' || this.code === 'LimitExceededException';
  }
}

/** The claims of a JWT (not verified: only to show who is signed in; the API's authorizer verifies). */
export function jwtClaims(token) {
  const part = String(token).split('.')[1] || '';
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/**
 * A client of one app client of a user pool. Each sign-in step answers either `{ tokens }` or
 * `{ challenge, session, username, parameters }`; `tokens` is `{ accessToken, idToken, refreshToken, expiresIn }`.
 */
export function createCognito({ endpoint, clientId }) {
  async function call(operation, body) {
    let response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${operation}` },
        body: JSON.stringify(body),
        cache: 'no-store', credentials: 'omit', mode: 'cors', referrerPolicy: 'no-referrer',
      });
    } catch (error) {
      throw new CognitoError('NetworkError', error.message, 0);
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const raw = data.__type || data.code || response.headers.get('x-amzn-errortype') || (response.status === 429 ? 'TooManyRequestsException' : `HTTP${response.status}`);
      throw new CognitoError(String(raw).split('#').pop().split(':')[0], data.message || data.Message || '', response.status);
    }
    return data;
  }

  function step(data, username) {
    if (data.AuthenticationResult) {
      const r = data.AuthenticationResult;
      return { tokens: { accessToken: r.AccessToken, idToken: r.IdToken, refreshToken: r.RefreshToken, expiresIn: Number(r.ExpiresIn) || 3600 } };
    }
    const parameters = data.ChallengeParameters || {};
    // Signed in by e-mail alias, the challenge names the user by the pool's user name: answer with that one.
    return { challenge: data.ChallengeName, session: data.Session, username: parameters.USER_ID_FOR_SRP || parameters.USERNAME || username, parameters };
  }

  const respond = async (at, name, responses) => step(await call('RespondToAuthChallenge', {
    ChallengeName: name, ClientId: clientId, Session: at.session, ChallengeResponses: { USERNAME: at.username, ...responses },
  }), at.username);

  return {
    /** The first step: user name (or e-mail) and password. */
    async signIn(username, password) {
      return step(await call('InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: username, PASSWORD: password } }), username);
    },
    /** The 6-digit code of the authenticator app (SOFTWARE_TOKEN_MFA). */
    mfaCode: (at, code) => respond(at, 'SOFTWARE_TOKEN_MFA', { SOFTWARE_TOKEN_MFA_CODE: code }),
    /** The user's own password in place of the temporary one (NEW_PASSWORD_REQUIRED). */
    newPassword: (at, password) => respond(at, 'NEW_PASSWORD_REQUIRED', { NEW_PASSWORD: password }),
    /** MFA_SETUP, first half: a new TOTP secret for the user's authenticator app. */
    async associateTotp(at) {
      const data = await call('AssociateSoftwareToken', { Session: at.session });
      return { ...at, session: data.Session, secret: data.SecretCode };
    },
    /** MFA_SETUP, second half: the app's first code proves the secret arrived; then the tokens. */
    async verifyTotp(at, code) {
      const data = await call('VerifySoftwareToken', { Session: at.session, UserCode: code, FriendlyDeviceName: 'telco-kpi portal' });
      if (data.Status !== 'SUCCESS') throw new CognitoError('CodeMismatchException', 'the code did not verify', 400);
      return respond({ ...at, session: data.Session }, 'MFA_SETUP', {});
    },
    /** New access and ID tokens for a refresh token (the refresh token stays, unless Cognito rotates it). */
    async refresh(refreshToken) {
      const data = await call('InitiateAuth', { AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: clientId, AuthParameters: { REFRESH_TOKEN: refreshToken } });
      const { tokens } = step(data);
      if (!tokens) throw new CognitoError('UnexpectedChallenge', data.ChallengeName, 400);
      return { ...tokens, refreshToken: tokens.refreshToken || refreshToken };
    },
    /** Sign-out: the refresh token and the tokens it gave stop working at Cognito. */
    revoke: (refreshToken) => call('RevokeToken', { ClientId: clientId, Token: refreshToken }),
  };
}
