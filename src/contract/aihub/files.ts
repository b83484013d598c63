import { Type } from '@sinclair/typebox';

export const FilePathParams = Type.Object({ '*': Type.String() });

export const ReadFileQuery = Type.Object({
  'expect-node-type': Type.Union([Type.Literal('file'), Type.Literal('folder')]),
});

export const FolderListing = Type.Object({
  nodes: Type.Array(
    Type.Object({
      full_path: Type.String(),
      name: Type.String(),
      metadata: Type.Object({
        node_type: Type.String(),
        size: Type.Integer(),
        modified_timestamp: Type.Integer(),
      }),
    }),
  ),
});
