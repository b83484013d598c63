import { Type } from '@sinclair/typebox';

/** The v2 error envelope: the reference's `error` schema plus our `type`. */
export const ErrorBody = Type.Object(
  {
    message: Type.String(),
    type: Type.String({ description: 'Error type from the catalogue, e.g. record-not-found.' }),
    request_id: Type.Optional(Type.String()),
  },
  { $id: 'ErrorBody' },
);

export const JobStatusResponse = Type.Object({
  state: Type.Union(
    ['COMPLETE', 'FAILED', 'CANCELLED', 'RUNNING', 'PENDING'].map((s) => Type.Literal(s)),
  ),
  message: Type.String(),
});

export const JobIdParams = Type.Object({ job_id: Type.String({ maxLength: 200 }) });

export const errorResponses = {
  default: { $ref: 'ErrorBody#', description: 'Error' },
} as const;
