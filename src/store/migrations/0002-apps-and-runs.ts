// Safe while old workers run: creates tables only.
// The queue (run_queue) and the leases (run_leases) are small tables of their own, apart from
// run history (runs): claims and heartbeats churn them, never the history rows or its indexes.
export const sql = `
CREATE TABLE apps (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  name TEXT NOT NULL,
  owner TEXT NOT NULL REFERENCES users(id),
  description TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (org_id, name)
);
CREATE TABLE app_versions (
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  version TEXT NOT NULL,
  manifest TEXT NOT NULL,
  package_key TEXT NOT NULL,
  package_size INTEGER NOT NULL,
  created_by TEXT NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, version)
);
CREATE INDEX app_versions_newest ON app_versions (app_id, created_at, version);
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  app_id TEXT NOT NULL,
  app_version TEXT NOT NULL,
  deployment_id TEXT,
  created_by TEXT NOT NULL REFERENCES users(id),
  batch_id INTEGER,
  input_dir TEXT,
  input_prefix TEXT NOT NULL,
  output_workspace TEXT,
  output_dir TEXT,
  settings TEXT NOT NULL,
  tags TEXT,
  state TEXT NOT NULL,
  msg TEXT,
  timeout_ms INTEGER NOT NULL,
  file_count INTEGER NOT NULL,
  files_failed INTEGER NOT NULL,
  lost_leases INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER
);
CREATE INDEX runs_by_time ON runs (org_id, created_at, id);
CREATE INDEX runs_by_state ON runs (org_id, state, created_at, id);
CREATE INDEX runs_by_app ON runs (org_id, app_id, created_at, id);
CREATE INDEX runs_by_deployment ON runs (org_id, deployment_id, created_at, id) WHERE deployment_id IS NOT NULL;
CREATE TABLE run_files (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  file_index INTEGER NOT NULL,
  name TEXT NOT NULL,
  blob_key TEXT NOT NULL,
  size INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
  error TEXT,
  documents TEXT,
  finished_at INTEGER,
  PRIMARY KEY (run_id, file_index)
);
CREATE TABLE run_queue (
  run_id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  queued_at INTEGER NOT NULL
);
CREATE INDEX run_queue_by_org ON run_queue (org_id, queued_at);
CREATE TABLE run_leases (
  run_id TEXT PRIMARY KEY,
  worker TEXT NOT NULL,
  token TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX run_leases_by_worker ON run_leases (worker);
CREATE INDEX run_leases_by_expiry ON run_leases (expires_at);
CREATE TABLE run_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX run_events_by_run ON run_events (run_id, id);
`;
