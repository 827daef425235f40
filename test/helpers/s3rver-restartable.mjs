// Test-only: s3rver in its own process on a given port and directory, so a test can kill it
// (SIGKILL, like a crashed server) and start it again on the same port with the same data.
// Started with --openssl-legacy-provider (s3rver's DES continuation tokens, see s3rver-child.mjs).
// argv: <directory> <bucket> <port (0 = any)>; stdout: one JSON line { port }.
// PUT with If-None-Match: * on an existing key answers 412 as S3 does (s3rver would overwrite).
import S3rver from 's3rver';

const [directory, bucket, port] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: Number(port), silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });

server.middleware.unshift(async (ctx, next) => {
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
});

const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
