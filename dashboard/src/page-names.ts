/**
 * The dashboard's pages by their first path segment. The server serves the page on exactly
 * these (src/http/dashboard-routes.ts `DASHBOARD_PAGES`; a test checks they agree).
 */
export const PAGE_NAMES = ['sign-in', 'runs', 'review', 'batches', 'apps', 'admin'] as const;
export type PageName = (typeof PAGE_NAMES)[number];

export const pageOf = (path: string): PageName | undefined => {
  const first = path.split('/')[1] ?? '';
  return (PAGE_NAMES as readonly string[]).includes(first) ? (first as PageName) : undefined;
};
