/**
 * An S3-compatible server for the tests, in its own process so a test can stall it
 * (SIGSTOP/SIGCONT) or kill it: s3rver on loopback, storing under the directory given as the
 * first argument, printing `{"port":…}` once it listens. Credentials S3RVER/S3RVER.
 *
 * s3rver 3.7.1 has no AbortMultipartUpload and accepts parts for uploads that are gone; S3
 * does both, so they are added here in front of its routes: DELETE ?uploadId removes the
 * upload, and any request naming an upload that does not exist answers 404 NoSuchUpload.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import S3rver from 's3rver';

const directory = process.argv[2];
if (!directory) throw new Error('usage: s3-server.mjs <directory> [port]');
const port = Number(process.argv[3] ?? 0);

/** Where s3rver keeps a bucket's open multipart uploads. */
const uploadDir = (bucket, id) => join(directory, bucket, '._S3rver_uploads', id);

async function multipartUploads(ctx, next) {
  const match = /^\/([^/]+)\/.+$/.exec(ctx.path);
  const id = ctx.query.uploadId;
  if (!match || typeof id !== 'string') return next();
  const dir = uploadDir(match[1], id);
  if (!/^[0-9a-f]+$/.test(id) || !existsSync(dir)) {
    ctx.status = 404;
    ctx.body = {
      Error: {
        Code: 'NoSuchUpload',
        Message: 'The specified upload does not exist.',
        UploadId: id,
      },
    };
    return;
  }
  if (ctx.method === 'DELETE') {
    await rm(dir, { recursive: true, force: true });
    ctx.status = 204;
    return;
  }
  return next();
}

const server = new S3rver({ address: '127.0.0.1', port, directory, silent: true });
// The router is the last middleware; the additions go just before it.
server.middleware.splice(server.middleware.length - 1, 0, multipartUploads);
const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
process.on('SIGTERM', () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
