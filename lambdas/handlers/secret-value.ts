/**
 * Reads one Secrets Manager secret (GetSecretValue) with a SigV4-signed request over fetch, so the
 * SMTP-relay option needs no further SDK client in the bundle. The Lambda role's credentials come
 * from the environment the runtime sets; the endpoint comes from the stack (it knows the partition:
 * `secretsmanager.<region>.amazonaws.com` or `….amazonaws.com.cn`).
 */
import { createHash, createHmac } from 'node:crypto';
import { ConfigError, TelcoKpiError } from '../core/errors.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Secrets Manager answered with an error or no string value. */
export class SecretReadError extends TelcoKpiError {}

export interface SignableRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

const sha256 = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** Adds the SigV4 headers (x-amz-date, the session token, Authorization) to a request without a query string. */
export function signRequest(request: SignableRequest, scope: { region: string; service: string }, credentials: AwsCredentials, now: Date): Record<string, string> {
  const url = new URL(request.url);
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...request.headers, host: url.host, 'x-amz-date': amzDate };
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).map((n) => n.toLowerCase()).sort();
  const value = (name: string) => Object.entries(headers).find(([n]) => n.toLowerCase() === name)![1].trim().replace(/\s+/g, ' ');
  const canonical = [request.method, url.pathname || '/', '', ...names.map((n) => `${n}:${value(n)}`), '', names.join(';'), sha256(request.body)].join('\n');
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), scope.region), scope.service), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

/** The credentials Lambda puts in every function's environment. */
export function credentialsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new ConfigError('AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set: the Lambda runtime sets them for the function\'s role');
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN };
}

/** The SecretString of a secret; fails naming the secret, never its value. */
export async function getSecretString(options: {
  endpoint: string;
  region: string;
  secretId: string;
  credentials: AwsCredentials;
  now?: () => Date;
}): Promise<string> {
  const body = JSON.stringify({ SecretId: options.secretId });
  const headers = signRequest(
    { method: 'POST', url: options.endpoint, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' }, body },
    { region: options.region, service: 'secretsmanager' },
    options.credentials,
    (options.now ?? (() => new Date()))(),
  );
  const { host: _host, ...sent } = headers;
  const response = await fetch(options.endpoint, { method: 'POST', headers: sent, body });
  const text = await response.text();
  if (!response.ok) {
    let type = '';
    try {
      type = String((JSON.parse(text) as { __type?: string }).__type ?? '');
    } catch {
      // not JSON: the status says enough
    }
    throw new SecretReadError(`secret ${options.secretId} could not be read: Secrets Manager answered ${response.status}${type ? ` ${type}` : ''}`);
  }
  const secret = (JSON.parse(text) as { SecretString?: string }).SecretString;
  if (!secret) throw new SecretReadError(`secret ${options.secretId} has no string value: put the SMTP relay URL (smtp://user:password@host:587)`);
  return secret;
}
