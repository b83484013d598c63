import { Type } from '@sinclair/typebox';

const Scope = Type.Union([Type.Literal('org'), Type.Literal('app'), Type.Literal('deployment')]);

export const RetentionBody = Type.Object(
  {
    scope: Scope,
    target_id: Type.Optional(
      Type.String({ description: 'The app or deployment id; left out for the org scope.' }),
    ),
    days: Type.Integer({ minimum: 1, maximum: 36_500 }),
    delete_input: Type.Optional(Type.Boolean({ default: true })),
    delete_output: Type.Optional(Type.Boolean({ default: true })),
    delete_logs: Type.Optional(Type.Boolean({ default: true })),
    delete_db_data: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

export const RetentionObject = Type.Object({
  id: Type.String(),
  scope: Scope,
  target_id: Type.String(),
  days: Type.Integer(),
  delete_input: Type.Boolean(),
  delete_output: Type.Boolean(),
  delete_logs: Type.Boolean(),
  delete_db_data: Type.Boolean(),
  created_by: Type.String(),
  created_at_ms: Type.Integer(),
  updated_at_ms: Type.Integer(),
});

export const ListRetentionResponse = Type.Object({ policies: Type.Array(RetentionObject) });
export const RetentionParams = Type.Object({ policy_id: Type.String({ maxLength: 100 }) });
