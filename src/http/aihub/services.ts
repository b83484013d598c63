import type { AuthService } from '../../services/auth-service.js';
import type { BatchService } from '../../services/batch-service.js';
import type { FileService } from '../../services/file-service.js';
import type { JobService } from '../../services/job-service.js';
import type { UploadService } from '../../services/upload-service.js';

/** The services the HTTP layer calls; built by the composition root. */
export interface Services {
  auth: AuthService;
  batches: BatchService;
  uploads: UploadService;
  files: FileService;
  jobs: JobService;
}
