/** RUNBOX_STORAGE_URL and the S3 settings, as `loadConfig` reads them from the environment. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

const base = { RUNBOX_DATA_DIR: '/srv/runbox' };
const storage = (env: Record<string, string>) => loadConfig({ ...base, ...env }).storage;

describe('storage configuration', () => {
  it('defaults to the blobs folder of the data directory', () => {
    expect(storage({})).toEqual({ kind: 'local', root: '/srv/runbox/blobs' });
    expect(storage({ RUNBOX_STORAGE_URL: '' })).toEqual({
      kind: 'local',
      root: '/srv/runbox/blobs',
    });
  });

  it('takes a shared directory as a file URL or a path', () => {
    expect(storage({ RUNBOX_STORAGE_URL: 'file:///mnt/shared/runbox' })).toEqual({
      kind: 'local',
      root: '/mnt/shared/runbox',
    });
    expect(storage({ RUNBOX_STORAGE_URL: '/mnt/shared/runbox' })).toEqual({
      kind: 'local',
      root: '/mnt/shared/runbox',
    });
    expect(storage({ RUNBOX_STORAGE_URL: 'relative/dir' })).toEqual({
      kind: 'local',
      root: `${process.cwd()}/relative/dir`,
    });
  });

  it('reads an S3 bucket and prefix, with AWS defaults when nothing else is set', () => {
    expect(storage({ RUNBOX_STORAGE_URL: 's3://my-bucket/runbox/prod/' })).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: 'runbox/prod',
      endpoint: undefined,
      region: 'us-east-1',
      forcePathStyle: false,
      credentials: undefined,
      connectTimeoutMs: 5_000,
      socketTimeoutMs: 30_000,
      maxAttempts: 5,
    });
    expect(storage({ RUNBOX_STORAGE_URL: 's3://my-bucket' })).toMatchObject({ prefix: '' });
  });

  it('takes endpoint, region and credentials from the AWS variables, RUNBOX_S3_* first', () => {
    const aws = {
      RUNBOX_STORAGE_URL: 's3://b12/p',
      AWS_ENDPOINT_URL: 'http://generic:9000',
      AWS_REGION: 'eu-west-3',
      AWS_ACCESS_KEY_ID: 'AKID',
      AWS_SECRET_ACCESS_KEY: 'SECRET',
      AWS_SESSION_TOKEN: 'TOKEN',
    };
    expect(storage(aws)).toMatchObject({
      endpoint: 'http://generic:9000',
      region: 'eu-west-3',
      // A custom endpoint means path-style addressing unless told otherwise.
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET', sessionToken: 'TOKEN' },
    });
    expect(storage({ ...aws, AWS_ENDPOINT_URL_S3: 'https://s3-only:9000' })).toMatchObject({
      endpoint: 'https://s3-only:9000',
    });
    expect(
      storage({
        ...aws,
        AWS_ENDPOINT_URL_S3: 'https://s3-only:9000',
        RUNBOX_S3_ENDPOINT: 'http://ours:9000',
        RUNBOX_S3_REGION: 'auto',
        RUNBOX_S3_FORCE_PATH_STYLE: 'false',
        RUNBOX_S3_CONNECT_TIMEOUT_MS: '1000',
        RUNBOX_S3_SOCKET_TIMEOUT_MS: '2000',
        RUNBOX_S3_MAX_ATTEMPTS: '1',
      }),
    ).toMatchObject({
      endpoint: 'http://ours:9000',
      region: 'auto',
      forcePathStyle: false,
      connectTimeoutMs: 1000,
      socketTimeoutMs: 2000,
      maxAttempts: 1,
    });
    expect(
      storage({ RUNBOX_STORAGE_URL: 's3://b12', AWS_DEFAULT_REGION: 'ap-south-1' }),
    ).toMatchObject({
      region: 'ap-south-1',
    });
  });

  it.each([
    ['ftp://host/dir', /unsupported scheme/],
    ['file://relative', /file:\/\/\/absolute/],
    ['s3://', /not a bucket name/],
    ['s3://ab/x', /not a bucket name/],
    ['s3://Upper/x', /not a bucket name/],
    ['s3://a..b/x', /not a bucket name/],
    ['s3://bucket/a//b', /empty, "\." or "\.\." segment/],
    ['s3://bucket/a/../b', /empty, "\." or "\.\." segment/],
  ])('refuses RUNBOX_STORAGE_URL=%s', (url, message) => {
    expect(() => storage({ RUNBOX_STORAGE_URL: url })).toThrow(message);
  });

  it.each([
    [{ RUNBOX_S3_ENDPOINT: 'localhost:9000' }, /http:\/\/ or https:\/\//],
    [{ AWS_ACCESS_KEY_ID: 'AKID' }, /must be set together/],
    [{ AWS_SECRET_ACCESS_KEY: 'SECRET' }, /must be set together/],
    [{ RUNBOX_S3_FORCE_PATH_STYLE: 'maybe' }, /true or false/],
    [{ RUNBOX_S3_MAX_ATTEMPTS: '0' }, /RUNBOX_S3_MAX_ATTEMPTS must be an integer of at least 1/],
    [{ RUNBOX_S3_SOCKET_TIMEOUT_MS: '1.5' }, /RUNBOX_S3_SOCKET_TIMEOUT_MS/],
    [{ RUNBOX_PART_BYTES: String(5 * 1024 * 1024 - 1) }, /at least 5242880 .* with S3 storage/],
    [
      { RUNBOX_PART_BYTES: String(5 * 1024 * 1024), RUNBOX_MAX_FILE_BYTES: String(6e10) },
      /at most 10000/,
    ],
  ])('refuses the S3 setting %j', (env, message) => {
    expect(() => storage({ RUNBOX_STORAGE_URL: 's3://bucket/p', ...env })).toThrow(message);
  });

  it('lets small parts through for a directory, where any size works', () => {
    expect(loadConfig({ ...base, RUNBOX_PART_BYTES: '1024' }).limits.partBytes).toBe(1024);
  });
});
