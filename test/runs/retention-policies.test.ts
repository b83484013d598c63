/**
 * Retention policies (our extension, SPEC §3 deletion and §4.3 jobs), the records: org admins
 * set, per org, app or deployment, how many days finished runs are kept; everyone else is
 * refused, and bad policies are never stored. Applying them is in retention-sweep.test.ts and
 * retention-scopes.test.ts.
 */
import { expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { ANY_NUMBER, listPolicies, put, putOk, retentionSuite } from './retention-fixtures.js';
import { ANY_STRING, expectError, publishOk } from './run-helpers.js';
import { nodeApp } from './test-apps.js';

describeEachBackend('retention policies', (backend) => {
  const { clock, start } = retentionSuite(backend);

  it('lets org admins create, replace, list and delete policies; others are refused', async () => {
    const hh = await start();
    const { app_id } = await publishOk(hh, hh.tokens.alice, nodeApp('probe'));
    expect(await listPolicies(hh, hh.tokens.alice)).toEqual([]);

    const org = await putOk(hh, { scope: 'org', days: 30 });
    expect(org).toEqual({
      id: ANY_STRING,
      scope: 'org',
      target_id: 'acme',
      days: 30,
      delete_input: true,
      delete_output: true,
      delete_logs: true,
      delete_db_data: true,
      created_by: 'alice',
      created_at_ms: ANY_NUMBER,
      updated_at_ms: ANY_NUMBER,
    });
    const app = await putOk(hh, {
      scope: 'app',
      target_id: app_id,
      days: 7,
      delete_input: false,
      delete_db_data: false,
    });
    expect(app).toMatchObject({
      scope: 'app',
      target_id: app_id,
      days: 7,
      delete_input: false,
      delete_output: true,
      delete_logs: true,
      delete_db_data: false,
    });
    expect((await listPolicies(hh, hh.tokens.alice)).map((p) => p.id).sort()).toEqual(
      [org.id, app.id].sort(),
    );

    // A second PUT for the same scope and target replaces that policy, keeping its id.
    clock.offset = 1000;
    const replaced = await putOk(hh, { scope: 'org', days: 90, delete_logs: false });
    expect(replaced).toMatchObject({
      id: org.id,
      days: 90,
      delete_logs: false,
      delete_db_data: true,
      created_at_ms: org.created_at_ms,
    });
    expect(replaced.updated_at_ms).toBeGreaterThan(org.updated_at_ms);
    expect(await listPolicies(hh, hh.tokens.alice)).toHaveLength(2);
    expect((await listPolicies(hh, hh.tokens.alice)).find((p) => p.id === org.id)).toEqual(
      replaced,
    );

    // Members and service accounts may not read or change them; another org sees none of them.
    for (const token of [hh.tokens.bob, hh.tokens.robot]) {
      expectError(
        await hh.as(token, { method: 'GET', url: '/api/v2/retention-policies' }),
        403,
        'permission-denied',
      );
      expectError(await put(hh, token, { scope: 'org', days: 1 }), 403, 'permission-denied');
      expectError(
        await hh.as(token, { method: 'DELETE', url: `/api/v2/retention-policies/${org.id}` }),
        403,
        'permission-denied',
      );
    }
    expect(await listPolicies(hh, hh.tokens.eve)).toEqual([]);
    expectError(
      await hh.as(hh.tokens.eve, { method: 'DELETE', url: `/api/v2/retention-policies/${org.id}` }),
      404,
      'record-not-found',
    );
    expect((await listPolicies(hh, hh.tokens.alice)).find((p) => p.id === org.id)).toEqual(
      replaced,
    );

    const del = await hh.as(hh.tokens.alice, {
      method: 'DELETE',
      url: `/api/v2/retention-policies/${org.id}`,
    });
    expect(del.statusCode, del.body).toBe(204);
    expect(del.body).toBe('');
    expect((await listPolicies(hh, hh.tokens.alice)).map((p) => p.id)).toEqual([app.id]);
    expectError(
      await hh.as(hh.tokens.alice, {
        method: 'DELETE',
        url: `/api/v2/retention-policies/${org.id}`,
      }),
      404,
      'record-not-found',
    );
  });

  it('refuses bad policies: days out of range, unknown scope or field, missing or unknown target', async () => {
    const hh = await start();
    const { app_id } = await publishOk(hh, hh.tokens.alice, nodeApp('probe'));
    const evesApp = (await publishOk(hh, hh.tokens.eve, nodeApp('probe'))).app_id;
    const evesDeployment = await hh.as(hh.tokens.eve, {
      method: 'POST',
      url: '/api/v2/apps/deployments',
      payload: { name: 'eves', app_id: evesApp },
    });
    expect(evesDeployment.statusCode, evesDeployment.body).toBe(201);

    const bad400: Record<string, unknown>[] = [
      { scope: 'org', days: 0 },
      { scope: 'org', days: -3 },
      { scope: 'org', days: 1.5 },
      { scope: 'org', days: 36_501 },
      { scope: 'org' },
      { scope: 'workspace', days: 5 },
      { days: 5 },
      { scope: 'org', days: 5, delete_everything: true },
      { scope: 'org', days: 5, delete_logs: 'sometimes' },
      { scope: 'app', days: 5 },
      { scope: 'deployment', days: 5 },
      { scope: 'org', target_id: 'globex', days: 5 },
    ];
    for (const body of bad400) {
      expectError(await put(hh, hh.tokens.alice, body), 400, 'invalid-input');
    }
    const missing = expectError(
      await put(hh, hh.tokens.alice, { scope: 'app', days: 5 }),
      400,
      'invalid-input',
    );
    expect(missing).toMatch(/target_id/);

    for (const body of [
      { scope: 'app', target_id: 'no-such-app', days: 5 },
      { scope: 'app', target_id: evesApp, days: 5 },
      { scope: 'deployment', target_id: 'no-such-deployment', days: 5 },
      { scope: 'deployment', target_id: evesDeployment.json<{ id: string }>().id, days: 5 },
    ]) {
      expectError(await put(hh, hh.tokens.alice, body), 404, 'record-not-found');
    }
    // An app id is not a deployment id.
    expectError(
      await put(hh, hh.tokens.alice, { scope: 'deployment', target_id: app_id, days: 5 }),
      404,
      'record-not-found',
    );
    // Nothing was stored; the org target may be named explicitly.
    expect(await listPolicies(hh, hh.tokens.alice)).toEqual([]);
    expect(await putOk(hh, { scope: 'org', target_id: 'acme', days: 1 })).toMatchObject({
      scope: 'org',
      target_id: 'acme',
      days: 1,
    });
  });
});
