import { Type } from '@sinclair/typebox';

export const AppInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  owner: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  latest_version: Type.Union([Type.String(), Type.Null()]),
  created_at_ms: Type.Integer(),
  updated_at_ms: Type.Integer(),
});

export const AppVersionInfo = Type.Object({
  app_id: Type.String(),
  version: Type.String(),
  runtime: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  created_by: Type.String(),
  created_at_ms: Type.Integer(),
  manifest: Type.Record(Type.String(), Type.Unknown(), { description: 'The runbox.app.json.' }),
});

export const AppParams = Type.Object({ app_id: Type.String({ maxLength: 100 }) });

export const ListAppsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
});

export const ListAppsResponse = Type.Object({ apps: Type.Array(AppInfo) });
export const ListVersionsResponse = Type.Object({ versions: Type.Array(AppVersionInfo) });
