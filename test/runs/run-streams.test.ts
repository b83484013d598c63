/**
 * Following a run over a real socket (SPEC §4.2): the log as text with `?follow=true`, and
 * Server-Sent Events of status and file changes, both ending when the run does. The app waits
 * at a gate that the test opens only once the stream has shown the run going, so the stream is
 * known to be live rather than a replay of a finished run.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  createBatch,
  getLogs,
  listen,
  publishOk,
  startRunOk,
  stream,
  waitForRun,
} from './run-helpers.js';
import { nodeApp } from './test-apps.js';

interface Sse {
  id: number;
  event: string;
  data: { state?: string; msg?: string; name?: string; index?: number; error?: string | null };
}

function parseSse(body: string): Sse[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim() !== '' && !block.startsWith(':'))
    .map((block) => {
      const f = Object.fromEntries(
        block.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
      );
      return { id: Number(f.id), event: f.event!, data: JSON.parse(f.data!) as Sse['data'] };
    });
}

describeEachBackend('run streams', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  async function gatedRun(files: Record<string, string>) {
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const gate = join(h.config.dataDir, 'gate-open');
    const batch = await createBatch(h, h.tokens.alice, files);
    const run = await startRunOk(h, h.tokens.alice, {
      app_id,
      batch_id: batch,
      settings: { keys: { custom: { gate } } },
    });
    let opened = false;
    /** Opens the gate (once) when `seen` is in the stream so far. */
    const openWhen = (seen: string) => (text: string) => {
      if (!opened && text.includes(seen)) {
        opened = true;
        writeFileSync(gate, '');
      }
    };
    return { run, openWhen, opened: () => opened };
  }

  it('streams the log with follow=true until the run ends', async () => {
    h = await startHarness(backend);
    const { run, openWhen, opened } = await gatedRun({ 'gate.txt': 'a b', 'log.txt': 'c' });
    const port = await listen(h);
    const res = await stream(
      port,
      h.tokens.alice,
      `/api/v2/apps/runs/${run.id}/logs?follow=true`,
      openWhen('waiting at gate gate.txt'),
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(opened()).toBe(true);
    const lines = res.body.trimEnd().split('\n');
    expect(lines[0]).toMatch(/\[status\] queued: Queued probe 1\.0\.0 over 2 files/);
    expect(res.body).toMatch(/\[status\] running:/);
    expect(res.body).toMatch(/\[gate\.txt\] waiting at gate gate\.txt/);
    expect(res.body).toContain('line 3 of log.txt');
    expect(res.body).toMatch(/\[file\] gate\.txt: done/);
    expect(res.body).toMatch(/\[file\] log\.txt: done/);
    expect(lines.at(-1)).toMatch(/\[status\] complete: Completed 2 files\./);
    expect((await waitForRun(h, h.tokens.alice, run.id)).status).toBe('COMPLETE');
    // What was streamed is the run's log, the same as reading it afterwards.
    expect(res.body).toBe(await getLogs(h, h.tokens.alice, run.id));
    // Following a finished run gives its whole log and ends.
    const after = await stream(
      port,
      h.tokens.alice,
      `/api/v2/apps/runs/${run.id}/logs?follow=true`,
    );
    expect(after.body).toBe(res.body);
  });

  it('streams status and file events as Server-Sent Events, closing after the terminal status', async () => {
    h = await startHarness(backend);
    const { run, openWhen, opened } = await gatedRun({ 'gate.txt': 'a b', 'other.txt': 'c' });
    const port = await listen(h);
    const res = await stream(
      port,
      h.tokens.alice,
      `/api/v2/apps/runs/${run.id}/events`,
      openWhen('"state":"running"'),
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(opened()).toBe(true);
    const events = parseSse(res.body);
    expect(events.every((e, i) => i === 0 || e.id > events[i - 1]!.id)).toBe(true);
    expect(events.map((e) => e.event).every((k) => k === 'status' || k === 'file')).toBe(true);
    const statuses = events.filter((e) => e.event === 'status').map((e) => e.data.state);
    expect(statuses).toEqual(['queued', 'running', 'complete']);
    expect(events.at(-1)).toMatchObject({
      event: 'status',
      data: { state: 'complete', msg: 'Completed 2 files.' },
    });
    const files = events.filter((e) => e.event === 'file').map((e) => [e.data.name, e.data.state]);
    expect(files.sort()).toEqual([
      ['gate.txt', 'done'],
      ['other.txt', 'done'],
    ]);

    // Last-Event-ID resumes after that event.
    const running = events.find((e) => e.data.state === 'running')!;
    const resumed = await stream(
      port,
      h.tokens.alice,
      `/api/v2/apps/runs/${run.id}/events`,
      undefined,
      {
        'last-event-id': String(running.id),
      },
    );
    expect(parseSse(resumed.body)).toEqual(events.filter((e) => e.id > running.id));
  });

  it("ends the streams of a cancelled run, and hides other orgs' runs", async () => {
    h = await startHarness(backend);
    const { app_id } = await publishOk(h, h.tokens.alice, nodeApp());
    const batch = await createBatch(h, h.tokens.alice, { 'slow.txt': 'x' });
    const run = await startRunOk(h, h.tokens.alice, { app_id, batch_id: batch });
    const port = await listen(h);
    let cancelled: Promise<unknown> | undefined;
    const res = await stream(
      port,
      h.tokens.alice,
      `/api/v2/apps/runs/${run.id}/logs?follow=true`,
      (text) => {
        if (!cancelled && text.includes('started slow.txt')) {
          cancelled = h.as(h.tokens.alice, {
            method: 'POST',
            url: `/api/v2/apps/runs/${run.id}/cancel`,
          });
        }
      },
    );
    await cancelled;
    expect(res.body).toContain('abort seen by slow.txt');
    expect(res.body.trimEnd().split('\n').at(-1)).toMatch(/\[status\] cancelled:/);

    for (const path of [
      `/api/v2/apps/runs/${run.id}/events`,
      `/api/v2/apps/runs/${run.id}/logs?follow=true`,
    ]) {
      const hidden = await stream(port, h.tokens.eve, path);
      expect(hidden.status).toBe(404);
      expect(JSON.parse(hidden.body)).toMatchObject({ type: 'record-not-found' });
    }
  });
});
