import { createRun, type BenchServer } from '../server-process.js';
import { now, percentile, sleep } from '../stats.js';

interface Results {
  files: { documents: { fields: { field_name: string; value: string }[] }[] }[];
}

/**
 * Dispatch latency on an idle server: `n` runs one after another, each from the moment its
 * create was acknowledged to the moment the app's code started (the app reports it).
 */
export async function dispatchLatency(s: BenchServer, batchId: number, n: number) {
  const acks: { id: string; ack: number }[] = [];
  for (let i = 0; i < n; i++) {
    const id = await createRun(s, batchId);
    acks.push({ id, ack: now() });
    await sleep(4); // let it finish: each run is dispatched to an idle server
  }
  const latencies: number[] = [];
  for (const { id, ack } of acks) {
    const r = (await (await s.api(`/v2/apps/runs/${id}/results`)).json()) as Results;
    const started = r.files[0]?.documents[0]?.fields.find((f) => f.field_name === 'started');
    if (started) latencies.push(Number(started.value) - ack);
  }
  return {
    samples: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}
