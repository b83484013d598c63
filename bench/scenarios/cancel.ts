import { createRun, type BenchServer } from '../server-process.js';
import { now, percentile, sleep } from '../stats.js';

async function logLine(s: BenchServer, id: string, word: string): Promise<number> {
  for (;;) {
    const text = await (await s.api(`/v2/apps/runs/${id}/logs`)).text();
    const m = new RegExp(`${word} (\\d+(?:\\.\\d+)?)`).exec(text);
    if (m) return Number(m[1]);
    await sleep(2);
  }
}

/** Cancel of a running run: from the cancel request to the abort signal reaching app code. */
export async function cancelLatency(s: BenchServer, waitBatchId: number, n: number) {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = await createRun(s, waitBatchId);
    await logLine(s, id, 'started');
    const sent = now();
    await s.api(`/v2/apps/runs/${id}/cancel`, { method: 'POST' });
    samples.push((await logLine(s, id, 'aborted')) - sent);
  }
  return { samples: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99) };
}
