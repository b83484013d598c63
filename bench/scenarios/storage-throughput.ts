/**
 * Upload and download throughput of files through the Files API of a real server process,
 * with its files on the local disk (the ceiling) and in S3 (an s3rver process on loopback,
 * the one the tests use), on SQLite. Registered in main.ts as `--only storage`.
 */
import { randomBytes } from 'node:crypto';
import { startS3Server } from '../../test/helpers/s3-server.js';
import { startServer, type BenchServer } from '../server-process.js';
import { median, now } from '../stats.js';

const FILE_BYTES = 8 * 1024 * 1024;
const FILES = 8;
const PARALLEL = 4;
const MIB = 1024 * 1024;
const DRIVE = '/v2/files/runbox/admin/fs/Runbox%20Drive/storage-bench';

/** Runs `task(0…n-1)`, `parallel` at a time; resolves with the elapsed milliseconds. */
async function timed(n: number, parallel: number, task: (i: number) => Promise<void>) {
  const started = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n) await task(next++);
    }),
  );
  return now() - started;
}

async function round(s: BenchServer, body: Buffer, tag: string) {
  const up = await timed(FILES, PARALLEL, async (i) => {
    const res = await s.api(`${DRIVE}/${tag}-${i}.bin`, {
      method: 'PUT',
      body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    if (res.status >= 300) throw new Error(`upload: ${res.status} ${await res.text()}`);
  });
  const down = await timed(FILES, PARALLEL, async (i) => {
    const res = await s.api(`${DRIVE}/${tag}-${i}.bin?expect-node-type=file`);
    const got = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200 || got.length !== body.length) {
      throw new Error(`download: ${res.status}, ${got.length} bytes`);
    }
  });
  const mib = (FILES * body.length) / MIB;
  return { upload: mib / (up / 1000), download: mib / (down / 1000) };
}

export async function storageThroughput(
  report: (backend: string, what: string, value: string) => void,
  rounds: number,
): Promise<void> {
  const body = randomBytes(FILE_BYTES);
  const s3 = await startS3Server();
  try {
    for (const storage of ['local', 's3'] as const) {
      const env = storage === 's3' ? s3.env(await s3.createBucket(), 'bench') : {};
      const s = await startServer('sqlite', undefined, { extraEnv: env });
      const up: number[] = [];
      const down: number[] = [];
      try {
        for (let r = 1; r <= rounds; r++) {
          const t = await round(s, body, `r${r}`);
          up.push(t.upload);
          down.push(t.download);
          console.log(
            `  ${storage} storage round ${r}: upload ${t.upload.toFixed(0)} MiB/s, download ${t.download.toFixed(0)} MiB/s`,
          );
        }
      } finally {
        await s.stop();
      }
      const what = `${FILES} × ${FILE_BYTES / MIB} MiB files, ${PARALLEL} at a time`;
      report(storage, `upload ${what} (MiB/s)`, median(up).toFixed(0));
      report(storage, `download ${what} (MiB/s)`, median(down).toFixed(0));
    }
  } finally {
    await s3.stop();
  }
}
