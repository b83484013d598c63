// @vitest-environment jsdom
/**
 * The runs list's filters: the form, what it puts in the URL, and the list requests it makes
 * (time-keyed pages, tags matched in the page).
 */
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Run } from '../../client/src/index.js';
import {
  countLabel,
  filtersFromSearch,
  filtersToSearch,
  FIRST_PAGE,
  listQuery,
  matchesTags,
  nextCursor,
  NO_FILTERS,
  statusOfState,
  type RunFilters,
} from '../../dashboard/src/runs/run-filters.js';
import { RunFiltersForm } from '../../dashboard/src/runs/run-filters-form.js';

afterEach(cleanup);

const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);
const NOW_S = NOW / 1000;
const run = (id: string, second: number, tags: string[] | null = null): Run => ({
  id,
  status: 'COMPLETE',
  start_timestamp: second * 1e9 + 123,
  finish_timestamp: null,
  msg: null,
  batch_id: 1,
  input_dir: null,
  app_id: 'app',
  deployment_id: null,
  tags,
});

describe('run filters', () => {
  it('the form: every filter by its label; submitting applies them, and the URL keeps them', () => {
    const onApply = vi.fn<(f: RunFilters) => void>();
    render(
      <RunFiltersForm
        value={NO_FILTERS}
        apps={[
          {
            id: 'a1',
            name: 'invoice-extractor',
            owner: 'alice',
            description: null,
            latest_version: '1.0.0',
            created_at_ms: 0,
            updated_at_ms: 0,
          },
        ]}
        deployments={[]}
        onApply={onApply}
      />,
    );
    fireEvent.change(screen.getByLabelText(/^App/), { target: { value: 'invoice-extractor' } });
    fireEvent.click(screen.getByRole('checkbox', { name: 'FAILED' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'STOPPED_AT_CHECKPOINT' }));
    fireEvent.change(screen.getByLabelText('Tags'), { target: { value: 'nightly, eu' } });
    fireEvent.change(screen.getByLabelText('Started by'), { target: { value: 'bob' } });
    fireEvent.change(screen.getByLabelText(/^Time/), { target: { value: 'custom' } });
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2026-03-01T00:00' } });
    fireEvent.change(screen.getByLabelText('To'), { target: { value: '2026-03-02T00:00' } });
    fireEvent.click(screen.getByRole('button', { name: 'Apply filters' }));

    expect(onApply).toHaveBeenCalledTimes(1);
    const f = onApply.mock.calls[0]![0];
    expect(f).toEqual({
      app: 'invoice-extractor',
      deployment: '',
      status: ['FAILED', 'STOPPED_AT_CHECKPOINT'],
      tags: 'nightly, eu',
      user: 'bob',
      range: 'custom',
      from: '2026-03-01T00:00',
      to: '2026-03-02T00:00',
    });
    const search = filtersToSearch(f);
    expect(filtersFromSearch(new URLSearchParams(search))).toEqual({ ...f, tags: 'nightly, eu' });
    expect(listQuery(f, FIRST_PAGE, 25, NOW)).toEqual({
      app_name: 'invoice-extractor',
      username: 'bob',
      status: ['FAILED', 'STOPPED_AT_CHECKPOINT'],
      from_timestamp: Math.floor(new Date('2026-03-01T00:00').getTime() / 1000),
      to_timestamp: Math.floor(new Date('2026-03-02T00:00').getTime() / 1000),
      limit: 25,
      sort_by: 'start_timestamp',
      order: 'DESCENDING',
    });
  });

  it('no filters: the last 24 hours, newest first; ranges; unknown URL values fall back', () => {
    expect(filtersToSearch(NO_FILTERS)).toBe('');
    expect(listQuery(NO_FILTERS, FIRST_PAGE, 25, NOW)).toEqual({
      from_timestamp: NOW_S - 24 * 3600,
      limit: 25,
      sort_by: 'start_timestamp',
      order: 'DESCENDING',
    });
    expect(listQuery({ ...NO_FILTERS, range: '7d' }, FIRST_PAGE, 25, NOW).from_timestamp).toBe(
      NOW_S - 7 * 24 * 3600,
    );
    expect(listQuery({ ...NO_FILTERS, range: 'all' }, FIRST_PAGE, 25, NOW).from_timestamp).toBe(0);
    expect(
      filtersFromSearch(new URLSearchParams('status=BOGUS&status=COMPLETE&range=forever')),
    ).toEqual({ ...NO_FILTERS, status: ['COMPLETE'] });
  });

  it('pages go back by start second, skipping only the runs of that second already shown', () => {
    const page1 = [run('a', 100), run('b', 99), run('c', 98), run('d', 98)];
    const c1 = nextCursor(page1, FIRST_PAGE, 4)!;
    expect(c1).toEqual({ to: 98, skip: 2 });
    expect(listQuery(NO_FILTERS, c1, 4, NOW)).toMatchObject({ to_timestamp: 98, offset: 2 });
    // A page all within the cursor's second: skip further within it.
    const page2 = [run('e', 98), run('f', 98), run('g', 98), run('h', 98)];
    expect(nextCursor(page2, c1, 4)).toEqual({ to: 98, skip: 6 });
    // A short page is the last.
    expect(nextCursor([run('i', 97)], c1, 4)).toBeUndefined();
    // A custom range's end still bounds later pages.
    const custom = { ...NO_FILTERS, range: 'custom' as const, from: '', to: '' };
    expect(listQuery(custom, { to: 50, skip: 1 }, 4, NOW)).toMatchObject({
      from_timestamp: 0,
      to_timestamp: 50,
      offset: 1,
    });
  });

  it('counts by status: the tagged runs of a bounded request, with a + when it was full', () => {
    const page = [run('a', 3, ['eu']), run('b', 2), run('c', 1, ['eu'])];
    expect(countLabel(page, [], 4)).toBe('3');
    expect(countLabel(page, ['eu'], 4)).toBe('2');
    expect(countLabel(page, [], 3)).toBe('3+');
    expect(countLabel(page, ['eu'], 3)).toBe('2+');
    expect(countLabel([], ['eu'], 3)).toBe('0');
  });

  it('tags: a run shows when it carries every tag asked for; stream states map to statuses', () => {
    expect(matchesTags(run('a', 1, ['nightly', 'eu']), ['nightly'])).toBe(true);
    expect(matchesTags(run('a', 1, ['nightly']), ['nightly', 'eu'])).toBe(false);
    expect(matchesTags(run('a', 1, null), ['nightly'])).toBe(false);
    expect(matchesTags(run('a', 1, null), [])).toBe(true);
    expect(
      [
        'queued',
        'running',
        'cancelling',
        'stopped_at_checkpoint',
        'complete',
        'failed',
        'timed_out',
        'cancelled',
      ].map(statusOfState),
    ).toEqual([
      'RUNNING',
      'RUNNING',
      'RUNNING',
      'STOPPED_AT_CHECKPOINT',
      'COMPLETE',
      'FAILED',
      'FAILED',
      'CANCELLED',
    ]);
  });
});
