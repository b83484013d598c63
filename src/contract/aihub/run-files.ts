import { Type } from '@sinclair/typebox';

export const RunFileParams = Type.Object({
  run_id: Type.String({ maxLength: 100 }),
  file_index: Type.Integer({ minimum: 0 }),
});

export const RunFilesQuery = Type.Object({
  offset: Type.Optional(Type.Integer({ minimum: 0, description: 'The first file index.' })),
});

export const RunFileObject = Type.Object({
  file_index: Type.Integer(),
  name: Type.String(),
  size: Type.Integer(),
  state: Type.Union([Type.Literal('pending'), Type.Literal('done'), Type.Literal('failed')]),
  error: Type.Union([Type.String(), Type.Null()]),
  finished_at_ms: Type.Union([Type.Integer(), Type.Null()]),
  needs_review: Type.Boolean(),
});

export const RunFilesResponse = Type.Object({
  files: Type.Array(RunFileObject),
  has_more: Type.Boolean(),
});
