import autocannon from 'autocannon';
import type { BenchServer } from '../server-process.js';

/** HTTP load on one URL: requests per second and latency percentiles. */
export async function load(s: BenchServer, path: string, connections: number, seconds: number) {
  const result = await autocannon({
    url: `${s.url}/api${path}`,
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${s.token}` },
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}
