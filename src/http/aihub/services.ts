import type { AdminService } from '../../services/admin-service.js';
import type { OrgAdminService } from '../../services/org-admin-service.js';
import type { AuthService } from '../../services/auth-service.js';
import type { BatchService } from '../../services/batch-service.js';
import type { FileService } from '../../services/file-service.js';
import type { JobService } from '../../services/job-service.js';
import type { UploadService } from '../../services/upload-service.js';
import type { AppService } from '../../services/app-service.js';
import type { RunService } from '../../services/run-service.js';
import type { RunResultsService } from '../../services/run-results-service.js';
import type { RunLogService } from '../../services/run-log-service.js';
import type { RunDeletionService } from '../../services/run-deletion-service.js';
import type { SecretService } from '../../services/secret-service.js';
import type { DeploymentService } from '../../services/deployment-service.js';
import type { ReviewService } from '../../services/review-service.js';
import type { RetentionService } from '../../services/retention-service.js';
import type { RunInputService } from '../../services/run-input-service.js';
import type { RunFilesService } from '../../services/run-files-service.js';
import type { RunResurrectionService } from '../../services/run-resurrection-service.js';

/** The services the HTTP layer calls; built by the composition root. */
export interface Services {
  auth: AuthService;
  batches: BatchService;
  uploads: UploadService;
  files: FileService;
  jobs: JobService;
  apps: AppService;
  runs: RunService;
  runResults: RunResultsService;
  runLogs: RunLogService;
  runDeletion: RunDeletionService;
  secrets: SecretService;
  deployments: DeploymentService;
  review: ReviewService;
  retention: RetentionService;
  runInputs: RunInputService;
  runFiles: RunFilesService;
  admin: AdminService;
  orgAdmin: OrgAdminService;
  runResurrection: RunResurrectionService;
}
