// Safe while old workers run: new tables, and new columns with defaults that old code ignores.
// Deployments carry stored settings for their runs; secrets are sealed with the server key;
// review state lives on run files; the queue and leases carry the deployment so claims can
// honour its concurrency limit without reading run history.
export const sql = `
CREATE TABLE secrets (
  org_id TEXT NOT NULL REFERENCES orgs(id),
  alias TEXT NOT NULL,
  description TEXT NOT NULL,
  allowed_workspaces_type TEXT NOT NULL CHECK (allowed_workspaces_type IN ('ALL', 'SOME', 'NONE')),
  allowed_workspaces TEXT NOT NULL,
  sealed_value TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_updated_by TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (org_id, alias)
);
CREATE TABLE deployments (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  name TEXT NOT NULL,
  app_id TEXT NOT NULL,
  version TEXT,
  workspace TEXT,
  custom_keys TEXT NOT NULL,
  secret_keys TEXT NOT NULL,
  review_policy TEXT,
  webhooks TEXT NOT NULL,
  sealed_webhook_secret TEXT NOT NULL,
  concurrency_limit INTEGER,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (org_id, name)
);
CREATE INDEX deployments_by_app ON deployments (app_id);
ALTER TABLE run_queue ADD COLUMN deployment_id TEXT;
ALTER TABLE run_leases ADD COLUMN deployment_id TEXT;
CREATE INDEX run_leases_by_deployment ON run_leases (deployment_id) WHERE deployment_id IS NOT NULL;
ALTER TABLE run_files ADD COLUMN needs_review INTEGER NOT NULL DEFAULT 0;
ALTER TABLE run_files ADD COLUMN reviewed_by TEXT;
ALTER TABLE run_files ADD COLUMN reviewed_at INTEGER;
ALTER TABLE runs ADD COLUMN review_completed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN deletion_job_id TEXT;
ALTER TABLE runs ADD COLUMN retention_applied_at INTEGER;
CREATE INDEX runs_for_retention ON runs (org_id, finished_at)
  WHERE deletion_job_id IS NULL AND retention_applied_at IS NULL AND finished_at IS NOT NULL;
CREATE TABLE idempotency_keys (
  org_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  idem_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  run_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (org_id, user_id, idem_key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
CREATE TABLE retention_policies (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  scope TEXT NOT NULL CHECK (scope IN ('org', 'app', 'deployment')),
  target_id TEXT NOT NULL,
  days INTEGER NOT NULL,
  delete_input INTEGER NOT NULL,
  delete_output INTEGER NOT NULL,
  delete_logs INTEGER NOT NULL,
  delete_db_data INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (org_id, scope, target_id)
);
`;
