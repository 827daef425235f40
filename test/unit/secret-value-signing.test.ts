import { describe, expect, it } from 'vitest';
import { signRequest } from '../../lambdas/handlers/secret-value.js';

describe('signRequest (SigV4)', () => {
  it('signs the AWS Signature Version 4 test suite\'s get-vanilla request to its published signature', () => {
    // Prepare: the suite's example credentials, date and request
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
    // Act
    const headers = signRequest({ method: 'GET', url: 'https://example.amazonaws.com/', headers: {}, body: '' },
      { region: 'us-east-1', service: 'service' }, credentials, new Date('2015-08-30T12:36:00Z'));
    // Assess
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
    expect(headers.authorization).toBe('AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, '
      + 'SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
  });

  it('signs the session token Lambda credentials carry', () => {
    const headers = signRequest({ method: 'POST', url: 'https://secretsmanager.cn-north-1.amazonaws.com.cn/', headers: { 'x-amz-target': 'secretsmanager.GetSecretValue' }, body: '{}' },
      { region: 'cn-north-1', service: 'secretsmanager' }, { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' }, new Date('2026-12-01T00:00:00Z'));
    expect(headers['x-amz-security-token']).toBe('token');
    expect(headers.host).toBe('secretsmanager.cn-north-1.amazonaws.com.cn');
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/20261201\/cn-north-1\/secretsmanager\/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/);
  });
});
