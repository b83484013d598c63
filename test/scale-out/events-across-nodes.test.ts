/**
 * Events across nodes (SPEC §2): a status change made on any node (a worker executing a run, an
 * API node cancelling one) reaches the Server-Sent Events and followed-log clients of every
 * other API node, through Postgres notifications. Two API nodes and one worker process.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describePostgres } from '../helpers/backends.js';
import { until } from '../helpers/poll.js';
import { executions, probePackage } from '../engine-processes/probe-app.js';
import { scaleOutProcesses, startRun, type ApiNode } from './scale-out-cluster.js';

/** An open SSE stream: its status events so far, and its end. */
function follow(node: ApiNode, token: string, runId: string) {
  const states: string[] = [];
  let text = '';
  const ended = (async () => {
    const res = await node.api(`/api/v2/apps/runs/${runId}/events`, { token });
    expect(res.status).toBe(200);
    const decoder = new TextDecoder();
    for await (const chunk of res.body!) {
      text += decoder.decode(chunk as Uint8Array, { stream: true });
      const blocks = text.split('\n\n');
      text = blocks.pop()!;
      for (const block of blocks) {
        if (!block.includes('event: status')) continue;
        const data = /^data: (.*)$/m.exec(block)![1]!;
        states.push((JSON.parse(data) as { state: string }).state);
      }
    }
  })();
  return { states, ended };
}

/** The status transitions of a run, from its stored log. */
async function loggedStates(node: ApiNode, runId: string): Promise<string[]> {
  const log = await node.client.log(runId);
  return [...log.matchAll(/\[status\] (\w+):/g)].map((m) => m[1]!);
}

describePostgres('events across nodes', () => {
  const { deployment } = scaleOutProcesses();

  it(
    'clients of one API node see every transition of runs created through the other, executed by a worker or cancelled there',
    { timeout: 90_000 },
    async () => {
      const d = deployment();
      expect((await d.migrate()).code).toBe(0);
      const a = await d.startApi();
      const b = await d.startApi();
      const log = join(mkdtempSync(join(tmpdir(), 'runbox-exec-')), 'executions.log');
      await b.client.publish(await probePackage(2));
      const batch = await b.client.batch(['one.txt', 'two.txt']);

      // Created through B while no worker runs: A's clients are following before it starts.
      const id = await startRun(b.client, 'probe', batch, { exec_log: log });
      const sse = follow(a, d.token, id);
      const text = a.api(`/api/v2/apps/runs/${id}/logs?follow=true`, { token: d.token });
      await until('the stream to start', () => (sse.states.length > 0 ? true : undefined));
      await d.startWorker();
      await sse.ended;
      const states = await loggedStates(b, id);
      expect(states.at(-1)).toBe('complete');
      expect(sse.states).toEqual(states);
      const followed = await (await text).text();
      expect(followed).toMatch(/\[status\] running: /);
      expect(followed).toMatch(/\[file\] two\.txt: done/);
      expect(followed.trimEnd().split('\n').at(-1)).toMatch(/\[status\] complete: /);

      // Cancelled through A while it runs: B's client sees it cancelling, then cancelled.
      const slow = await startRun(b.client, 'probe', batch, { exec_log: log, delay_ms: 60_000 });
      await until('the slow run to start', () =>
        executions(log).find((e) => e.runId === slow && e.event === 'start'),
      );
      const onB = follow(b, d.token, slow);
      await until('the stream to show it running', () =>
        onB.states.includes('running') ? true : undefined,
      );
      await a.client.cancel(slow);
      await onB.ended;
      expect(onB.states.slice(-2)).toEqual(['cancelling', 'cancelled']);
      expect(onB.states).toEqual(await loggedStates(a, slow));
    },
  );
});
