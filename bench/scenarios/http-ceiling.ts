import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/**
 * Requests per second of a bare Fastify server in its own process (no authentication, no
 * store), loaded like the throughput and status scenarios: POSTs with 32 connections and GETs
 * with 64. No Runbox figure on the same machine can exceed these.
 */
export async function httpCeiling(seconds: number) {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL('../ceiling-server.mjs', import.meta.url))],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const url = `http://127.0.0.1:${line.toString().trim()}`;
    // Warm-up, uncounted: the JIT settles before the measured windows.
    await autocannon({ url: `${url}/status`, connections: 32, duration: 2 });
    const post = await autocannon({
      url: `${url}/runs`,
      method: 'POST',
      connections: 32,
      duration: seconds,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ app_name: 'bench-noop', batch_id: 1 }),
    });
    const get = await autocannon({ url: `${url}/status`, connections: 64, duration: seconds });
    return { postRps: post.requests.average, getRps: get.requests.average };
  } finally {
    child.kill('SIGTERM');
  }
}
