import { Type } from '@sinclair/typebox';

const AllowedType = Type.Union([Type.Literal('ALL'), Type.Literal('SOME'), Type.Literal('NONE')]);

/** The reference's `secret` object: never the value. */
export const SecretObject = Type.Object({
  alias: Type.String(),
  description: Type.String(),
  allowed_workspaces_type: AllowedType,
  allowed_workspaces: Type.Array(Type.String()),
  org: Type.String(),
  created_at: Type.Integer({ description: 'Unix milliseconds.' }),
  created_by: Type.String(),
  updated_at: Type.Integer({ description: 'Unix milliseconds.' }),
  last_updated_by: Type.String(),
});

export const ListSecretsQuery = Type.Object({
  workspace: Type.Optional(Type.String()),
  alias: Type.Optional(Type.String()),
});

export const ListSecretsResponse = Type.Object({ secrets: Type.Array(SecretObject) });

export const CreateSecretBody = Type.Object(
  {
    alias: Type.String(),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    value: Type.String(),
    allowed_workspaces_type: AllowedType,
    allowed_workspaces: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);

export const UpdateSecretBody = Type.Object(
  {
    alias: Type.String(),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    value: Type.Optional(Type.String()),
    allowed_workspaces_type: Type.Optional(AllowedType),
    allowed_workspaces: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);

export const DeleteSecretBody = Type.Object(
  { alias: Type.String() },
  { additionalProperties: false },
);
