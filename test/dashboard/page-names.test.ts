/** The server serves the dashboard's page on the paths of the dashboard's own pages, no others. */
import { describe, expect, it } from 'vitest';
import { PAGE_NAMES, pageOf } from '../../dashboard/src/page-names.js';
import { DASHBOARD_PAGES } from '../../src/http/dashboard-routes.js';

describe('dashboard pages', () => {
  it('the server and the dashboard name the same pages', () => {
    expect([...DASHBOARD_PAGES].sort()).toEqual([...PAGE_NAMES].sort());
  });

  it('a path names its page by its first segment', () => {
    expect(pageOf('/runs/01a2')).toBe('runs');
    expect(pageOf('/review')).toBe('review');
    expect(pageOf('/')).toBeUndefined();
    expect(pageOf('/api/v2/batches')).toBeUndefined();
  });
});
