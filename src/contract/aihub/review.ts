import { Type } from '@sinclair/typebox';

const Alert = Type.Object({
  alert_level: Type.String(),
  msg: Type.String(),
  blocked: Type.Boolean(),
  type: Type.String(),
});

export const EditRecord = Type.Object({
  timestamp: Type.String({ description: 'ISO 8601.' }),
  user_id: Type.String(),
  modifications: Type.Array(Type.Object({ message: Type.Union([Type.String(), Type.Null()]) })),
});

export const ReviewFile = Type.Object({
  file_index: Type.Integer(),
  original_file_name: Type.String(),
  reviewed: Type.Boolean(),
  reviewed_by: Type.Union([Type.String(), Type.Null()]),
  reviewed_at_ms: Type.Union([Type.Integer(), Type.Null()]),
  documents: Type.Array(
    Type.Object({
      document_index: Type.Integer(),
      class_name: Type.Union([Type.String(), Type.Null()]),
      final_result_pass: Type.Boolean(),
      failing_fields: Type.Array(Type.String()),
      fields: Type.Array(
        Type.Object({
          field_name: Type.String(),
          value: Type.String(),
          type: Type.String(),
          confidence: Type.Union([Type.Number(), Type.Null()]),
          validations: Type.Object({ valid: Type.Boolean(), alerts: Type.Array(Alert) }),
          edit_history: Type.Array(EditRecord),
        }),
      ),
    }),
  ),
});

export const ReviewResponse = Type.Object({
  run_id: Type.String(),
  status: Type.String(),
  review_completed: Type.Boolean(),
  files_to_review: Type.Integer(),
  files_reviewed: Type.Integer(),
  files: Type.Array(ReviewFile),
});

export const ReviewFileParams = Type.Object({
  run_id: Type.String({ maxLength: 100 }),
  file_index: Type.Integer({ minimum: 0 }),
});

export const ReviewFileBody = Type.Object(
  {
    corrections: Type.Optional(
      Type.Array(
        Type.Object(
          {
            document_index: Type.Optional(Type.Integer({ minimum: 0 })),
            field_name: Type.String({ minLength: 1 }),
            value: Type.String({ maxLength: 100_000 }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 1000 },
      ),
    ),
    reviewed: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const ResumeBody = Type.Object(
  {
    force: Type.Optional(
      Type.Boolean({ description: 'Org admins only: resume with files still unreviewed.' }),
    ),
  },
  { additionalProperties: false },
);
