/** The deployment form's text fields to a request body, and what it refuses before sending. */
import { describe, expect, it } from 'vitest';
import { bodyOf, EMPTY_FORM, formOf } from '../../dashboard/src/apps/deployment-form-state.js';

describe('deployment form', () => {
  it('empty fields mean the defaults: newest version, personal workspace, the app’s review policy, no limit', () => {
    expect(bodyOf({ ...EMPTY_FORM, name: ' nightly ', appId: 'a1' })).toEqual({
      name: 'nightly',
      app_id: 'a1',
      version: null,
      workspace: null,
      keys: { custom: {}, secret: {} },
      review_policy: null,
      webhooks: [],
      concurrency_limit: null,
    });
  });

  it('keys, secret aliases, policy, webhooks and limit; a stored deployment round-trips', () => {
    const body = bodyOf({
      ...EMPTY_FORM,
      name: 'n',
      appId: 'a1',
      version: '1.2.0',
      workspace: 'Finance',
      customKeys: '{"currency": "USD"}',
      secretKeys: 'OCR_API_KEY = ocr-prod\n\nOTHER=x',
      reviewPolicy: 'always',
      webhooks: [{ url: ' https://h.example/x ', events: ['run.completed'] }],
      concurrency: '3',
    });
    expect(body).toEqual({
      name: 'n',
      app_id: 'a1',
      version: '1.2.0',
      workspace: 'Finance',
      keys: { custom: { currency: 'USD' }, secret: { OCR_API_KEY: 'ocr-prod', OTHER: 'x' } },
      review_policy: 'always',
      webhooks: [{ url: 'https://h.example/x', events: ['run.completed'] }],
      concurrency_limit: 3,
    });
    const form = formOf({
      id: 'd1',
      name: 'n',
      app_id: 'a1',
      version: '1.2.0',
      workspace: 'Finance',
      keys: { custom: { currency: 'USD' }, secret: { OCR_API_KEY: 'ocr-prod', OTHER: 'x' } },
      review_policy: 'always',
      webhooks: [{ url: 'https://h.example/x', events: ['run.completed'] }],
      concurrency_limit: 3,
      created_by: 'alice',
      created_at_ms: 0,
      updated_at_ms: 0,
    });
    expect(bodyOf(form)).toEqual(body);
  });

  it('refuses keys that are not a JSON object, malformed secret lines and a non-numeric limit', () => {
    const base = { ...EMPTY_FORM, name: 'n', appId: 'a1' };
    for (const customKeys of ['nope', '[1]', 'null', '"x"']) {
      expect(bodyOf({ ...base, customKeys })).toEqual({
        error: 'Custom keys must be a JSON object.',
      });
    }
    expect(bodyOf({ ...base, secretKeys: 'OK=a\njust-a-key' })).toEqual({
      error: 'Secret keys line 2: write KEY=alias.',
    });
    expect(bodyOf({ ...base, concurrency: '2.5' })).toEqual({
      error: 'The concurrency limit is a whole number (or empty for none).',
    });
  });
});
