import { Type } from '@sinclair/typebox';

const RoleSchema = Type.Union([Type.Literal('member'), Type.Literal('admin')]);

export const CurrentUserResponse = Type.Object({
  user_id: Type.String(),
  kind: Type.Union([Type.Literal('user'), Type.Literal('service')]),
  display_name: Type.Union([Type.String(), Type.Null()]),
  /** The context this request acted in. */
  context: Type.Object({ org_id: Type.String(), role: RoleSchema, personal: Type.Boolean() }),
  /** Every org the user may act in (`IB-Context`), the personal one first. */
  orgs: Type.Array(
    Type.Object({
      org_id: Type.String(),
      name: Type.String(),
      role: RoleSchema,
      personal: Type.Boolean(),
    }),
  ),
});
