import { describe, expect, it } from 'vitest';
import { requestForLog } from './request-log.js';

describe('requestForLog', () => {
  it('keeps method, url, host and address, with any token in the query redacted', () => {
    expect(
      requestForLog({
        method: 'GET',
        url: '/v2/actor-runs?desc=1&token=rbx_secret&limit=5',
        host: 'h',
        ip: '127.0.0.1',
      }),
    ).toEqual({
      method: 'GET',
      url: '/v2/actor-runs?desc=1&token=[redacted]&limit=5',
      host: 'h',
      remoteAddress: '127.0.0.1',
    });
    expect(requestForLog({ url: '/v2/actors/x?TOKEN=abc' }).url).toBe(
      '/v2/actors/x?TOKEN=[redacted]',
    );
    expect(requestForLog({ url: '/api/v2/batches' }).url).toBe('/api/v2/batches');
  });
});
