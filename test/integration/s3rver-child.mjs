// Runs s3rver in its own Node process started with --openssl-legacy-provider: s3rver 3.7.1
// encrypts ListObjectsV2 continuation tokens with DES, which Node 20's OpenSSL 3 refuses
// otherwise (every truncated listing would answer 500).
// argv: <directory> <bucket> <honourIfNoneMatch: "true" | "false"> [port, default any] [options JSON]
// (a fixed port lets a fault test kill the server and start it again with the same data;
// options: { corsOrigin } gives the bucket a CORS rule as the portal's landing bucket has — PUT from
// that origin with a content-type header —, { events: true } sends each S3 notification over IPC)
// stdout: one JSON line { port }; IPC: { type: 'requests' } → the requests received so far;
// { type: 'event', event } for each notification when asked.
import S3rver from 's3rver';

const [directory, bucket, honour, port = '0', optionsJson = '{}'] = process.argv.slice(2);
const options = JSON.parse(optionsJson);
const requests = [];
const cors = options.corsOrigin
  ? [`<CORSConfiguration><CORSRule><AllowedOrigin>${options.corsOrigin}</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>content-type</AllowedHeader><MaxAgeSeconds>3600</MaxAgeSeconds></CORSRule></CORSConfiguration>`]
  : [];
const server = new S3rver({ address: '127.0.0.1', port: Number(port), silent: true, directory, configureBuckets: [{ name: bucket, configs: cors }] });
if (options.events) server.on('event', (event) => process.send({ type: 'event', event }));

/**
 * s3rver ignores If-None-Match on PutObject (it overwrites). When asked, answer a conditional
 * PUT on an existing key as S3 documents it: 412 PreconditionFailed with S3's XML error body.
 */
async function conditionalWrites(ctx, next) {
  if (ctx.method === 'PUT' && ctx.headers['if-none-match'] === '*') {
    const [, b, ...rest] = ctx.path.split('/');
    const key = decodeURIComponent(rest.join('/'));
    if (b && key && (await server.store.existsObject(b, key))) {
      ctx.status = 412;
      ctx.type = 'application/xml';
      ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>'
        + '<Message>At least one of the pre-conditions you specified did not hold</Message>'
        + '<Condition>If-None-Match</Condition></Error>';
      return;
    }
  }
  await next();
}

if (honour === 'true') server.middleware.unshift(conditionalWrites);
server.middleware.unshift(async (ctx, next) => {
  requests.push({ method: ctx.method, path: ctx.path, query: ctx.querystring, ifNoneMatch: ctx.headers['if-none-match'] });
  await next();
});

const address = await server.run();
process.on('message', (message) => {
  if (message?.type === 'requests') process.send({ type: 'requests', requests });
});
process.on('disconnect', () => { void server.close().then(() => process.exit(0)); });
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
