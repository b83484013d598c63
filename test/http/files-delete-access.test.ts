import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, waitForJob, type Harness } from '../helpers/harness.js';
import { drive, expectError, OCTET, storageFiles } from './http-helpers.js';

const ALICE = drive('alice');
const SHARED = drive('shared');

describeEachBackend('v2 files: delete and access', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const put = (token: string, path: string, body: string) =>
    h.as(token, { method: 'PUT', url: `/api/v2/files/${path}`, payload: body, headers: OCTET });
  const read = (token: string, path: string, type: 'file' | 'folder' = 'file') =>
    h.as(token, { method: 'GET', url: `/api/v2/files/${path}?expect-node-type=${type}` });
  const head = (token: string, path: string) =>
    h.as(token, { method: 'HEAD', url: `/api/v2/files/${path}` });
  /** DELETE, check the 202 + Location, wait for the job; returns its final state. */
  const remove = async (token: string, path: string) => {
    const res = await h.as(token, { method: 'DELETE', url: `/api/v2/files/${path}` });
    expect(res.statusCode, res.payload).toBe(202);
    const location = res.headers.location as string;
    expect(location).toMatch(/^\/api\/v2\/jobs\/[^/]+$/);
    const job = await waitForJob(h, token, location.split('/').at(-1)!);
    const polled = await h.as(token, { method: 'GET', url: location });
    expect(polled.json()).toEqual(job);
    return job;
  };

  it('deletes a file through a job: 202, COMPLETE, then gone; its neighbours stay', async () => {
    h = await startHarness(backend);
    await put(h.tokens.alice, `${ALICE}/d/gone.txt`, 'bye');
    await put(h.tokens.alice, `${ALICE}/d/stays.txt`, 'hi');
    const job = await remove(h.tokens.alice, `${ALICE}/d/gone.txt`);
    expect(job.state).toBe('COMPLETE');
    expectError(await read(h.tokens.alice, `${ALICE}/d/gone.txt`), 404, 'record-not-found');
    expect((await head(h.tokens.alice, `${ALICE}/d/gone.txt`)).statusCode).toBe(404);
    expect((await read(h.tokens.alice, `${ALICE}/d/stays.txt`)).payload).toBe('hi');
    expect(storageFiles(h, 'objects/files').filter((f) => f.includes('gone.txt'))).toEqual([]);
    const names = (await read(h.tokens.alice, `${ALICE}/d`, 'folder'))
      .json<{ nodes: { name: string }[] }>()
      .nodes.map((n) => n.name);
    expect(names).toEqual(['stays.txt']);
  });

  it('deletes a folder with everything in it', async () => {
    h = await startHarness(backend);
    await put(h.tokens.alice, `${ALICE}/tree/a.txt`, 'a');
    await put(h.tokens.alice, `${ALICE}/tree/sub/b.txt`, 'b');
    await put(h.tokens.alice, `${ALICE}/tree/sub/deeper/c.txt`, 'c');
    await put(h.tokens.alice, `${ALICE}/other/keep.txt`, 'keep');
    expect(storageFiles(h, 'objects/files')).toHaveLength(4);

    expect((await remove(h.tokens.alice, `${ALICE}/tree`)).state).toBe('COMPLETE');
    expectError(await read(h.tokens.alice, `${ALICE}/tree`, 'folder'), 404, 'record-not-found');
    expectError(await read(h.tokens.alice, `${ALICE}/tree/sub/b.txt`), 404, 'record-not-found');
    expect((await head(h.tokens.alice, `${ALICE}/tree`)).statusCode).toBe(404);
    const left = storageFiles(h, 'objects/files');
    expect(left).toHaveLength(1);
    expect(left[0]).toContain('other/keep.txt');
    expect((await read(h.tokens.alice, `${ALICE}/other/keep.txt`)).payload).toBe('keep');
  });

  it('accepts deleting a path that never existed, and the job completes', async () => {
    h = await startHarness(backend);
    await put(h.tokens.alice, `${ALICE}/x.txt`, 'x');
    expect((await remove(h.tokens.alice, `${ALICE}/never/was.txt`)).state).toBe('COMPLETE');
    expect((await read(h.tokens.alice, `${ALICE}/x.txt`)).payload).toBe('x');
    expect((await remove(h.tokens.alice, `${ALICE}/x.txt`)).state).toBe('COMPLETE');
    // Deleting it again is just as fine.
    expect((await remove(h.tokens.alice, `${ALICE}/x.txt`)).state).toBe('COMPLETE');
    expect(storageFiles(h, 'objects/files')).toEqual([]);
  });

  it('refuses to delete a whole drive', async () => {
    h = await startHarness(backend);
    await put(h.tokens.alice, `${ALICE}/x.txt`, 'x');
    const before = storageFiles(h);
    const res = await h.as(h.tokens.alice, { method: 'DELETE', url: `/api/v2/files/${ALICE}` });
    expectError(res, 400, 'invalid-input');
    expect(storageFiles(h)).toEqual(before);
  });

  it('deletes with a leading slash too', async () => {
    h = await startHarness(backend);
    await put(h.tokens.alice, `${ALICE}/s.txt`, 's');
    expect((await remove(h.tokens.alice, `/${ALICE}/s.txt`)).state).toBe('COMPLETE');
    expect((await head(h.tokens.alice, `${ALICE}/s.txt`)).statusCode).toBe(404);
  });

  it('never shows or changes another org’s files: 404 everywhere', async () => {
    h = await startHarness(backend);
    await put(h.tokens.alice, `${ALICE}/secret.txt`, 'acme only');
    await put(h.tokens.alice, `${SHARED}/team.txt`, 'acme team');
    const before = storageFiles(h);
    for (const path of [`${ALICE}/secret.txt`, `${SHARED}/team.txt`]) {
      expectError(await read(h.tokens.eve, path), 404, 'record-not-found');
      expect((await head(h.tokens.eve, path)).statusCode).toBe(404);
      expectError(await put(h.tokens.eve, path, 'eve was here'), 404, 'record-not-found');
      const del = await h.as(h.tokens.eve, { method: 'DELETE', url: `/api/v2/files/${path}` });
      expectError(del, 404, 'record-not-found');
    }
    expectError(await read(h.tokens.eve, SHARED, 'folder'), 404, 'record-not-found');
    // A path that does not exist in acme answers exactly the same.
    expectError(await read(h.tokens.eve, `${SHARED}/nothing.txt`), 404, 'record-not-found');
    expect(storageFiles(h)).toEqual(before);
    expect((await read(h.tokens.alice, `${ALICE}/secret.txt`)).payload).toBe('acme only');
  });

  it('keeps a member out of another member’s personal workspace', async () => {
    h = await startHarness(backend);
    await put(h.tokens.alice, `${ALICE}/diary.txt`, 'dear diary');
    const before = storageFiles(h);
    expectError(await read(h.tokens.bob, `${ALICE}/diary.txt`), 404, 'record-not-found');
    expectError(await read(h.tokens.bob, ALICE, 'folder'), 404, 'record-not-found');
    expect((await head(h.tokens.bob, `${ALICE}/diary.txt`)).statusCode).toBe(404);
    expectError(await put(h.tokens.bob, `${ALICE}/diary.txt`, 'bob'), 404, 'record-not-found');
    expectError(await put(h.tokens.bob, `${ALICE}/new.txt`, 'bob'), 404, 'record-not-found');
    const del = await h.as(h.tokens.bob, {
      method: 'DELETE',
      url: `/api/v2/files/${ALICE}/diary.txt`,
    });
    expectError(del, 404, 'record-not-found');
    expect(storageFiles(h)).toEqual(before);
    expect((await read(h.tokens.alice, `${ALICE}/diary.txt`)).payload).toBe('dear diary');
  });

  it('lets members work together in the shared workspace, and an admin read a member’s files', async () => {
    h = await startHarness(backend);
    expect((await put(h.tokens.bob, `${SHARED}/notes/bob.txt`, 'from bob')).statusCode).toBe(204);
    expect((await put(h.tokens.robot, `${SHARED}/notes/robot.txt`, 'beep')).statusCode).toBe(204);
    expect((await read(h.tokens.alice, `${SHARED}/notes/bob.txt`)).payload).toBe('from bob');
    expect((await read(h.tokens.bob, `${SHARED}/notes/robot.txt`)).payload).toBe('beep');
    const listing = await read(h.tokens.bob, `${SHARED}/notes`, 'folder');
    expect(listing.json<{ nodes: { name: string }[] }>().nodes.map((n) => n.name)).toEqual([
      'bob.txt',
      'robot.txt',
    ]);
    expect((await remove(h.tokens.bob, `${SHARED}/notes/robot.txt`)).state).toBe('COMPLETE');
    expect((await head(h.tokens.alice, `${SHARED}/notes/robot.txt`)).statusCode).toBe(404);

    const bobs = drive('bob');
    await put(h.tokens.bob, `${bobs}/mine.txt`, 'bob private');
    expect((await read(h.tokens.alice, `${bobs}/mine.txt`)).payload).toBe('bob private');
  });

  it('answers 404 for a workspace that does not exist', async () => {
    h = await startHarness(backend);
    expectError(
      await put(h.tokens.alice, `${drive('nowhere')}/a.txt`, 'x'),
      404,
      'record-not-found',
    );
    expectError(await read(h.tokens.alice, drive('nowhere'), 'folder'), 404, 'record-not-found');
    expect(storageFiles(h)).toEqual([]);
  });
});
