import { Type, type Static } from '@sinclair/typebox';

export const CreateBatchBody = Type.Object(
  {
    name: Type.String({ description: 'At most 255 characters.' }),
    workspace: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type CreateBatchBody = Static<typeof CreateBatchBody>;

export const BatchIdResponse = Type.Object({ id: Type.Integer() });

export const BatchInfo = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  workspace: Type.String(),
  mount_point: Type.String(),
  repo_owner: Type.String(),
  batch_owner: Type.String(),
  created_at_ms: Type.Integer(),
  updated_at_ms: Type.Integer(),
  path_suffix: Type.String(),
});

export const ListBatchesQuery = Type.Object({
  workspace: Type.Optional(Type.String()),
  username: Type.Optional(Type.String()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
});

export const ListBatchesResponse = Type.Object({ batches: Type.Array(BatchInfo) });

export const BatchParams = Type.Object({ batch_id: Type.Integer({ minimum: 1 }) });
export const BatchFileParams = Type.Object({
  batch_id: Type.Integer({ minimum: 1 }),
  filename: Type.String(),
});

export const ListBatchFilesQuery = Type.Object({
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  start_token: Type.Optional(Type.String()),
});

export const ListBatchFilesResponse = Type.Object({
  nodes: Type.Array(
    Type.Object({
      full_path: Type.String(),
      name: Type.String(),
      metadata: Type.Object({
        node_type: Type.String(),
        size: Type.Integer(),
        modified_timestamp: Type.Integer(),
      }),
      perms: Type.Object({
        can_read: Type.Boolean(),
        can_write: Type.Boolean(),
        can_delete: Type.Boolean(),
      }),
    }),
  ),
  next_page_token: Type.String(),
  has_more: Type.Boolean(),
});

export const BatchDeletionJobResponse = Type.Object({ job_id: Type.String() });

export const CreateMultipartBody = Type.Object(
  {
    batch_id: Type.Integer(),
    filename: Type.String(),
    file_size: Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^[0-9]+$' })], {
      description: 'Bytes; an integer or a string of digits.',
    }),
  },
  { additionalProperties: false },
);

export const MultipartSessionResponse = Type.Object({
  session_id: Type.String(),
  part_size: Type.Integer(),
});

export const PartParams = Type.Object({
  session_id: Type.String({ maxLength: 200 }),
  part_num: Type.Integer(),
});

export const MultipartPartResponse = Type.Object({
  part_id: Type.String(),
  part_num: Type.Integer(),
});

export const SessionParams = Type.Object({ session_id: Type.String({ maxLength: 200 }) });

export const FinishMultipartBody = Type.Object(
  {
    action: Type.Union([Type.Literal('commit'), Type.Literal('abort')]),
    parts: Type.Optional(
      Type.Array(
        Type.Object(
          { part_num: Type.Integer(), part_id: Type.String() },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);
