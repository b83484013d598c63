import type { Migration } from '../../migration.js';
import { sql as foundation } from './0001-foundation.js';
import { sql as appsAndRuns } from './0002-apps-and-runs.js';

export const MIGRATIONS: readonly Migration[] = [
  { id: 1, name: 'foundation', sql: foundation },
  { id: 2, name: 'apps-and-runs', sql: appsAndRuns },
];
