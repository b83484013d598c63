/**
 * The SDK calls only operations the server documents, at the method and path it documents
 * them: its endpoint table checked against the server's own OpenAPI document.
 */
import { afterEach, expect, it } from 'vitest';
import { ENDPOINTS } from '../../client/src/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startHarness, type Harness } from '../helpers/harness.js';

describeEachBackend('SDK endpoints', (backend) => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('every operation the SDK calls is in the OpenAPI document, same method and path', async () => {
    h = await startHarness(backend);
    const doc = (await h.runbox.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
      paths: Record<string, Record<string, { operationId?: string }>>;
    }>();
    const served = new Map<string, [string, string]>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (op.operationId) served.set(op.operationId, [method.toUpperCase(), path]);
      }
    }
    const mismatches = Object.entries(ENDPOINTS)
      .map(([id, [method, path]]) => ({ id, sdk: [method, `/api${path}`], server: served.get(id) }))
      .filter((e) => JSON.stringify(e.sdk) !== JSON.stringify(e.server));
    expect(mismatches).toEqual([]);
    expect(Object.keys(ENDPOINTS).length).toBeGreaterThanOrEqual(40);
  });
});
