import { DASHBOARD_PAGES } from '../../src/contract/dashboard-pages.js';

/** The dashboard's pages by their first path segment: the paths the server serves the page on. */
export const PAGE_NAMES = DASHBOARD_PAGES;
export type PageName = (typeof PAGE_NAMES)[number];

export const pageOf = (path: string): PageName | undefined => {
  const first = path.split('/')[1] ?? '';
  return (PAGE_NAMES as readonly string[]).includes(first) ? (first as PageName) : undefined;
};
