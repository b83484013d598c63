import type { Migration } from '../../migration.js';
import { sql as foundation } from './0001-foundation.js';

export const MIGRATIONS: readonly Migration[] = [{ id: 1, name: 'foundation', sql: foundation }];
