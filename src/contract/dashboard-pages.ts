/**
 * The dashboard's pages by their first path segment: its router names its pages by them, and
 * the server serves the page on exactly these paths (src/http/dashboard-routes.ts).
 */
export const DASHBOARD_PAGES = ['sign-in', 'runs', 'review', 'batches', 'apps', 'admin'] as const;
