/**
 * The portal page's Content-Security-Policy, one list for both places it is served: `telco-kpi serve`
 * (connect-src its own origin) and CloudFront in AWS (also the Cognito endpoint and the landing
 * bucket's S3 endpoint, where the page signs in and PUTs uploads). Nothing inline, no framing, no
 * fonts, objects or manifests: the page needs none.
 */
export function pageCsp(connectSources: readonly string[] = []): string {
  return [
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    ['connect-src', "'self'", ...connectSources].join(' '),
    "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
  ].join('; ');
}
