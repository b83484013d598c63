// Safe while old workers run: new columns with defaults (or nullable) that old code ignores.
// What the compatibility dialects keep on a run: a status message set by a client (Apify's
// PUT, with whether it is the final one), how many times the run was resurrected, and the
// webhooks given with the request that started it (JSON, null when none).
export const sql = `
ALTER TABLE runs ADD COLUMN status_message TEXT;
ALTER TABLE runs ADD COLUMN status_message_terminal INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN resurrect_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN webhooks TEXT;
`;
