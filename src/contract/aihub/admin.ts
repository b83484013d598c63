import { Type } from '@sinclair/typebox';

const Role = Type.Union([Type.Literal('member'), Type.Literal('admin')]);
const Kind = Type.Union([Type.Literal('user'), Type.Literal('service')]);

export const OrgUser = Type.Object({
  id: Type.String(),
  kind: Kind,
  display_name: Type.Union([Type.String(), Type.Null()]),
  role: Role,
  /** The org that created the user (its personal context). */
  home_org: Type.String(),
  created_at_ms: Type.Integer(),
});

export const ListOrgUsersResponse = Type.Object({ users: Type.Array(OrgUser) });

export const CreateOrgUserBody = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 128 }),
    kind: Type.Optional(Kind),
    role: Type.Optional(Role),
    display_name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  },
  { additionalProperties: false },
);

export const UserParams = Type.Object({ user_id: Type.String({ maxLength: 128 }) });
export const TokenParams = Type.Object({ token_id: Type.String({ maxLength: 100 }) });

export const TokenObject = Type.Object({
  id: Type.String(),
  user_id: Type.String(),
  name: Type.String(),
  created_at_ms: Type.Integer(),
  expires_at_ms: Type.Union([Type.Integer(), Type.Null()]),
  revoked_at_ms: Type.Union([Type.Integer(), Type.Null()]),
});

export const ListTokensResponse = Type.Object({ tokens: Type.Array(TokenObject) });

export const CreateTokenBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    expires_at_ms: Type.Optional(
      Type.Integer({ description: 'Unix milliseconds, in the future.' }),
    ),
  },
  { additionalProperties: false },
);

export const CreatedTokenResponse = Type.Object({
  id: Type.String(),
  user_id: Type.String(),
  /** The token itself, shown this once: only its hash is stored. */
  token: Type.String(),
  expires_at_ms: Type.Union([Type.Integer(), Type.Null()]),
});

export const WorkspaceObject = Type.Object({
  id: Type.String(),
  name: Type.String(),
  /** A user's personal workspace names its owner; shared ones have none. */
  owner_user_id: Type.Union([Type.String(), Type.Null()]),
  created_at_ms: Type.Integer(),
});

export const ListWorkspacesResponse = Type.Object({ workspaces: Type.Array(WorkspaceObject) });

export const CreateWorkspaceBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);
