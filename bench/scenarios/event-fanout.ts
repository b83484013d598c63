import { createRun, type BenchServer } from '../server-process.js';
import { now, percentile } from '../stats.js';

/** Reads an SSE body until `state` has been seen; resolves with when it arrived. */
async function until(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  seen: { text: string },
  state: string,
): Promise<number> {
  const decoder = new TextDecoder();
  while (!seen.text.includes(`"state":"${state}"`)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the stream ended before ${state}`);
    seen.text += decoder.decode(value, { stream: true });
  }
  return now();
}

/**
 * Events across nodes: a run waiting in its app (wait.txt) is followed over Server-Sent Events
 * on node `to` and cancelled through node `from`; the figure is the time from the cancel
 * request to the `cancelling` status arriving at the follower, `n` times one after another.
 */
export async function eventFanout(
  from: BenchServer,
  to: BenchServer,
  waitBatchId: number,
  n: number,
) {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = await createRun(from, waitBatchId);
    const res = await to.api(`/v2/apps/runs/${id}/events`);
    const reader = res.body!.getReader();
    const seen = { text: '' };
    await until(reader, seen, 'running');
    const sent = now();
    await from.api(`/v2/apps/runs/${id}/cancel`, { method: 'POST' });
    samples.push((await until(reader, seen, 'cancelling')) - sent);
    await until(reader, seen, 'cancelled');
    await reader.cancel();
  }
  return { samples: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99) };
}
