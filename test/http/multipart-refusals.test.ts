import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import {
  acmeState,
  createBatch,
  expectError,
  listBatchFiles,
  listen,
  multipartClient,
  rawErrorType,
  rawRequest,
  storedBatchFile,
  UPLOAD,
  type Part,
} from './http-helpers.js';

const PART = 1024;
const ENV = { RUNBOX_PART_BYTES: String(PART), RUNBOX_MAX_FILE_BYTES: '10000' };

describeEachBackend('v2 multipart upload: refusals', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  const { open, start, part, finish, sendAll } = multipartClient(() => h, PART);

  it('refuses a part out of order (2 before 1) and records nothing', async () => {
    h = await startHarness(backend, ENV);
    const id = await createBatch(h, h.tokens.alice);
    const sid = await start(id, 'a.bin', PART * 2);
    const before = await acmeState(h);
    expectError(await part(sid, 2, randomBytes(PART)), 400, 'invalid-input');
    expect(await acmeState(h)).toEqual(before);
    // The upload can still proceed in order.
    const data = randomBytes(PART * 2);
    expect(
      (await finish(sid, { action: 'commit', parts: await sendAll(sid, data) })).statusCode,
    ).toBe(201);
    expect((await storedBatchFile(h, id, 'a.bin'))?.bytes.equals(data)).toBe(true);
  });

  it('refuses a part of the wrong size and records nothing', async () => {
    h = await startHarness(backend, ENV);
    const id = await createBatch(h, h.tokens.alice);
    const sid = await start(id, 'a.bin', PART + 100);
    const before = await acmeState(h);
    expectError(await part(sid, 1, randomBytes(PART - 1)), 400, 'invalid-input');
    expectError(await part(sid, 1, randomBytes(PART + 1)), 400, 'invalid-input');
    expectError(await part(sid, 1, Buffer.alloc(0)), 400, 'invalid-input');
    expect(await acmeState(h)).toEqual(before);
    // Nothing was recorded: part 2 still needs part 1, and a commit finds no parts.
    expectError(await part(sid, 2, randomBytes(100)), 400, 'invalid-input');
    expectError(await finish(sid, { action: 'commit', parts: [] }), 400, 'invalid-input');
    // The last part must be exactly the remainder.
    expect((await part(sid, 1, randomBytes(PART))).statusCode).toBe(201);
    expectError(await part(sid, 2, randomBytes(99)), 400, 'invalid-input');
    expectError(await part(sid, 2, randomBytes(PART)), 400, 'invalid-input');
    expect(await listBatchFiles(h, h.tokens.alice, id)).toEqual([]);
  });

  it('refuses an oversized part streamed over a socket with 400, recording nothing', async () => {
    h = await startHarness(backend, ENV);
    const port = await listen(h);
    const id = await createBatch(h, h.tokens.alice);
    const sid = await start(id, 'a.bin', PART * 2);
    const before = await acmeState(h);
    const res = await rawRequest(port, {
      method: 'PUT',
      path: `${UPLOAD}/sessions/${sid}/parts/1`,
      token: h.tokens.alice,
      chunks: [randomBytes(PART), randomBytes(PART)],
    });
    expect(rawErrorType(res)).toEqual({ status: 400, type: 'invalid-input' });
    expect(await acmeState(h)).toEqual(before);
    expectError(await part(sid, 2, randomBytes(PART)), 400, 'invalid-input');
  });

  it('refuses part numbers outside 1…last', async () => {
    h = await startHarness(backend, ENV);
    const id = await createBatch(h, h.tokens.alice);
    const sid = await start(id, 'a.bin', PART * 2);
    await sendAll(sid, randomBytes(PART * 2));
    const before = await acmeState(h);
    expectError(await part(sid, 3, randomBytes(PART)), 400, 'invalid-input');
    expectError(await part(sid, 0, randomBytes(PART)), 400, 'invalid-input');
    expectError(await part(sid, -1, randomBytes(PART)), 400, 'invalid-input');
    expectError(await part(sid, 'one', randomBytes(PART)), 400, 'invalid-input');
    expect(await acmeState(h)).toEqual(before);
  });

  it('refuses a commit with a missing part or a wrong part_id, keeping the session usable', async () => {
    h = await startHarness(backend, ENV);
    const id = await createBatch(h, h.tokens.alice);
    const data = randomBytes(PART * 2 + 1);
    const sid = await start(id, 'a.bin', data.length);
    const two = await sendAll(sid, data.subarray(0, PART * 2));
    // Part 3 was never uploaded.
    expectError(await finish(sid, { action: 'commit', parts: two }), 400, 'invalid-input');
    const three = await sendAll(sid, data);
    const before = await acmeState(h);
    const wrongId = three.map((p, i) => (i === 1 ? { ...p, part_id: `${p.part_id}x` } : p));
    expectError(await finish(sid, { action: 'commit', parts: wrongId }), 400, 'invalid-input');
    const swapped = [three[1], three[0], three[2]];
    expectError(await finish(sid, { action: 'commit', parts: swapped }), 400, 'invalid-input');
    expectError(
      await finish(sid, { action: 'commit', parts: three.slice(0, 2) }),
      400,
      'invalid-input',
    );
    const extra = [...three, { part_num: 4, part_id: 'x' }];
    expectError(await finish(sid, { action: 'commit', parts: extra }), 400, 'invalid-input');
    expectError(await finish(sid, { action: 'commit' }), 400, 'invalid-input');
    expect(await acmeState(h)).toEqual(before);
    expect(await listBatchFiles(h, h.tokens.alice, id)).toEqual([]);

    expect((await finish(sid, { action: 'commit', parts: three })).statusCode).toBe(201);
    expect((await storedBatchFile(h, id, 'a.bin'))?.bytes.equals(data)).toBe(true);
  });

  it('refuses a file_size over the limit with 413, opening no session', async () => {
    h = await startHarness(backend, ENV);
    const id = await createBatch(h, h.tokens.alice);
    const before = await acmeState(h);
    const res = await open(h.tokens.alice, {
      batch_id: id,
      filename: 'huge.bin',
      file_size: 10001,
    });
    expectError(res, 413, 'payload-too-large');
    expect(await acmeState(h)).toEqual(before);
    expect(
      (await open(h.tokens.alice, { batch_id: id, filename: 'ok.bin', file_size: 10000 }))
        .statusCode,
    ).toBe(201);
  });

  it('refuses sessions for batches the caller cannot see', async () => {
    h = await startHarness(backend, ENV);
    const id = await createBatch(h, h.tokens.alice);
    const before = await acmeState(h);
    for (const token of [h.tokens.bob, h.tokens.eve]) {
      const res = await open(token, { batch_id: id, filename: 'a.bin', file_size: 10 });
      expectError(res, 404, 'record-not-found');
    }
    expectError(
      await open(h.tokens.alice, { batch_id: 99999, filename: 'a', file_size: 1 }),
      404,
      'record-not-found',
    );
    expect(await acmeState(h)).toEqual(before);
  });

  it('answers 404 to another org’s session id, and to an unknown one', async () => {
    h = await startHarness(backend, ENV);
    const id = await createBatch(h, h.tokens.alice);
    const data = randomBytes(PART + 5);
    const sid = await start(id, 'a.bin', data.length);
    const first = await part(sid, 1, data.subarray(0, PART));
    const parts = [first.json<{ part_id: string; part_num: number }>()];
    const before = await acmeState(h);

    expectError(await part(sid, 2, data.subarray(PART), h.tokens.eve), 404, 'record-not-found');
    expectError(await finish(sid, { action: 'abort' }, h.tokens.eve), 404, 'record-not-found');
    expectError(
      await finish(sid, { action: 'commit', parts }, h.tokens.eve),
      404,
      'record-not-found',
    );
    // A member who cannot see the batch gets the same answer.
    expectError(await part(sid, 2, data.subarray(PART), h.tokens.bob), 404, 'record-not-found');
    expectError(await part('no-such-session', 1, randomBytes(PART)), 404, 'record-not-found');
    expectError(await finish('no-such-session', { action: 'abort' }), 404, 'record-not-found');
    expect(await acmeState(h)).toEqual(before);

    // The owner's session still works.
    parts.push((await part(sid, 2, data.subarray(PART))).json<Part>());
    expect((await finish(sid, { action: 'commit', parts })).statusCode).toBe(201);
    expect((await storedBatchFile(h, id, 'a.bin'))?.bytes.equals(data)).toBe(true);
  });
});
