/**
 * The wire types, derived from the same TypeBox schemas the server validates and documents its
 * routes with (`src/contract/aihub`): one source for both sides. Type-only imports: nothing of
 * them exists at run time.
 */
import type { Static } from '@sinclair/typebox';
import type * as admin from '../../src/contract/aihub/admin.js';
import type * as apps from '../../src/contract/aihub/apps.js';
import type * as batches from '../../src/contract/aihub/batches.js';
import type * as common from '../../src/contract/aihub/common.js';
import type * as deployments from '../../src/contract/aihub/deployments.js';
import type * as files from '../../src/contract/aihub/files.js';
import type * as me from '../../src/contract/aihub/me.js';
import type * as runFiles from '../../src/contract/aihub/run-files.js';
import type * as retention from '../../src/contract/aihub/retention.js';
import type * as review from '../../src/contract/aihub/review.js';
import type * as runs from '../../src/contract/aihub/runs.js';
import type * as secrets from '../../src/contract/aihub/secrets.js';

export type Run = Static<typeof runs.RunObject>;
export type RunStatus = Run['status'];
export type CreateRunRequest = Static<typeof runs.CreateRunBody>;
export type ListRunsQuery = Static<typeof runs.ListRunsQuery>;
export type ResultsQuery = Static<typeof runs.ResultsQuery>;
export type ResultsPage = Static<typeof runs.ResultsResponse>;
export type ResultFile = ResultsPage['files'][number];
export type DeleteRunOptions = Static<typeof runs.DeleteRunQuery>;
export type DeleteRunJobs = Static<typeof runs.DeleteRunResponse>;

export type RunFilesPage = Static<typeof runFiles.RunFilesResponse>;
export type RunFile = Static<typeof runFiles.RunFileObject>;
export type CurrentUser = Static<typeof me.CurrentUserResponse>;

export type OrgUser = Static<typeof admin.OrgUser>;
export type CreateOrgUserRequest = Static<typeof admin.CreateOrgUserBody>;
export type TokenInfo = Static<typeof admin.TokenObject>;
export type CreatedToken = Static<typeof admin.CreatedTokenResponse>;
export type WorkspaceInfo = Static<typeof admin.WorkspaceObject>;

export type BatchInfo = Static<typeof batches.BatchInfo>;
export type ListBatchesQuery = Static<typeof batches.ListBatchesQuery>;
export type BatchFilesPage = Static<typeof batches.ListBatchFilesResponse>;
export type BatchFileNode = BatchFilesPage['nodes'][number];

export type JobStatus = Static<typeof common.JobStatusResponse>;
export type JobState = JobStatus['state'];

export type AppInfo = Static<typeof apps.AppInfo>;
export type AppVersionInfo = Static<typeof apps.AppVersionInfo>;

export type Deployment = Static<typeof deployments.DeploymentObject>;
export type CreateDeploymentRequest = Static<typeof deployments.CreateDeploymentBody>;
export type UpdateDeploymentRequest = Static<typeof deployments.UpdateDeploymentBody>;
export type RunDeploymentRequest = Static<typeof deployments.RunDeploymentBody>;
export type WebhookEventType = (typeof deployments.WEBHOOK_EVENTS)[number];

export type Secret = Static<typeof secrets.SecretObject>;
export type CreateSecretRequest = Static<typeof secrets.CreateSecretBody>;
export type UpdateSecretRequest = Static<typeof secrets.UpdateSecretBody>;

export type Review = Static<typeof review.ReviewResponse>;
export type ReviewFile = Static<typeof review.ReviewFile>;
export type ReviewFileRequest = Static<typeof review.ReviewFileBody>;

export type RetentionPolicy = Static<typeof retention.RetentionObject>;
export type RetentionPolicyRequest = Static<typeof retention.RetentionBody>;

export type FolderListing = Static<typeof files.FolderListing>;

/** A run's state as the events stream reports it. */
export interface RunEvent {
  id: number;
  /** `status` or `file`. */
  kind: string;
  data: Record<string, unknown>;
}
