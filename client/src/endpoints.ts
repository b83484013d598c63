/**
 * Every server operation the SDK calls, by the server's `operationId`: method and path (as in
 * the server's OpenAPI document). A test checks each one against `/api/openapi.json`.
 */
export const ENDPOINTS = {
  createBatch: ['POST', '/v2/batches'],
  listBatches: ['GET', '/v2/batches'],
  getBatch: ['GET', '/v2/batches/{batch_id}'],
  deleteBatch: ['DELETE', '/v2/batches/{batch_id}'],
  listFiles: ['GET', '/v2/batches/{batch_id}/files'],
  addFileToBatch: ['PUT', '/v2/batches/{batch_id}/files/{filename}'],
  deleteFileFromBatch: ['DELETE', '/v2/batches/{batch_id}/files/{filename}'],
  createMultipartUploadSession: ['POST', '/v2/batches/multipart-upload'],
  uploadMultipartPart: [
    'PUT',
    '/v2/batches/multipart-upload/sessions/{session_id}/parts/{part_num}',
  ],
  commitMultipartUploadSession: ['POST', '/v2/batches/multipart-upload/sessions/{session_id}'],
  jobStatus: ['GET', '/v2/jobs/{job_id}'],
  publishApp: ['POST', '/v2/apps'],
  listApps: ['GET', '/v2/apps'],
  getApp: ['GET', '/v2/apps/{app_id}'],
  listAppVersions: ['GET', '/v2/apps/{app_id}/versions'],
  deleteApp: ['DELETE', '/v2/apps/{app_id}'],
  runApp: ['POST', '/v2/apps/runs'],
  listRuns: ['GET', '/v2/apps/runs'],
  getRunStatus: ['GET', '/v2/apps/runs/{run_id}'],
  getRunResults: ['GET', '/v2/apps/runs/{run_id}/results'],
  deleteRun: ['DELETE', '/v2/apps/runs/{run_id}'],
  cancelRun: ['POST', '/v2/apps/runs/{run_id}/cancel'],
  getRunLogs: ['GET', '/v2/apps/runs/{run_id}/logs'],
  streamRunEvents: ['GET', '/v2/apps/runs/{run_id}/events'],
  listRunFiles: ['GET', '/v2/apps/runs/{run_id}/files'],
  getRunFileContent: ['GET', '/v2/apps/runs/{run_id}/files/{file_index}/content'],
  getCurrentUser: ['GET', '/v2/me'],
  listOrgUsers: ['GET', '/v2/admin/users'],
  createOrgUser: ['POST', '/v2/admin/users'],
  listUserTokens: ['GET', '/v2/admin/users/{user_id}/tokens'],
  createUserToken: ['POST', '/v2/admin/users/{user_id}/tokens'],
  revokeToken: ['DELETE', '/v2/admin/tokens/{token_id}'],
  listWorkspaces: ['GET', '/v2/admin/workspaces'],
  createWorkspace: ['POST', '/v2/admin/workspaces'],
  getRunReview: ['GET', '/v2/apps/runs/{run_id}/review'],
  reviewRunFile: ['PATCH', '/v2/apps/runs/{run_id}/review/files/{file_index}'],
  resumeRun: ['POST', '/v2/apps/runs/{run_id}/resume'],
  createDeployment: ['POST', '/v2/apps/deployments'],
  listDeployments: ['GET', '/v2/apps/deployments'],
  getDeployment: ['GET', '/v2/apps/deployments/{deployment_id}'],
  updateDeployment: ['PATCH', '/v2/apps/deployments/{deployment_id}'],
  deleteDeployment: ['DELETE', '/v2/apps/deployments/{deployment_id}'],
  runDeployment: ['POST', '/v2/apps/deployments/{deployment_id}/runs'],
  listSecrets: ['GET', '/v2/aihub/secrets'],
  createSecret: ['POST', '/v2/aihub/secrets'],
  updateSecret: ['PATCH', '/v2/aihub/secrets'],
  deleteSecret: ['DELETE', '/v2/aihub/secrets'],
  readFile: ['GET', '/v2/files/{path}'],
  writeFile: ['PUT', '/v2/files/{path}'],
  getFileMetadata: ['HEAD', '/v2/files/{path}'],
  deleteFileOrFolder: ['DELETE', '/v2/files/{path}'],
  listRetentionPolicies: ['GET', '/v2/retention-policies'],
  putRetentionPolicy: ['PUT', '/v2/retention-policies'],
  deleteRetentionPolicy: ['DELETE', '/v2/retention-policies/{policy_id}'],
} as const satisfies Record<string, readonly [string, string]>;

export type OperationId = keyof typeof ENDPOINTS;

/** The path of an operation with its parameters filled in (each one URI-encoded). */
export function pathOf(op: OperationId, params: Record<string, string | number> = {}): string {
  return ENDPOINTS[op][1].replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`${op}: missing path parameter ${name}`);
    // A drive path keeps its slashes; every other parameter is one segment.
    return name === 'path'
      ? String(v).split('/').map(encodeURIComponent).join('/')
      : encodeURIComponent(String(v));
  });
}
