import { Type } from '@sinclair/typebox';

const RunStatus = Type.Union([
  Type.Literal('CANCELLED'),
  Type.Literal('COMPLETE'),
  Type.Literal('FAILED'),
  Type.Literal('PAUSED'),
  Type.Literal('RUNNING'),
  Type.Literal('STOPPED_AT_CHECKPOINT'),
]);

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

/** The reference's `run` object. Timestamps are Unix nanoseconds. */
export const RunObject = Type.Object({
  id: Type.String(),
  status: RunStatus,
  start_timestamp: Type.Integer(),
  finish_timestamp: Type.Union([Type.Integer(), Type.Null()]),
  msg: Nullable(Type.String()),
  batch_id: Type.Union([Type.Integer(), Type.Null()]),
  input_dir: Nullable(Type.String()),
  app_id: Nullable(Type.String()),
  deployment_id: Nullable(Type.String()),
  tags: Type.Union([Type.Array(Type.String()), Type.Null()]),
});

export const RunSettings = Type.Object(
  {
    keys: Type.Optional(
      Type.Object(
        {
          custom: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          secret: Type.Optional(Type.Record(Type.String(), Type.String())),
        },
        { additionalProperties: false },
      ),
    ),
    runtime_config: Type.Optional(
      Type.Object(
        {
          timeout_seconds: Type.Optional(
            Type.Integer({
              minimum: 1,
              description: "Overrides the app version's timeout for this run.",
            }),
          ),
        },
        { additionalProperties: true },
      ),
    ),
    tags: Type.Optional(
      Type.Array(Type.String(), { description: 'At most 500 characters in all.' }),
    ),
  },
  { additionalProperties: false },
);

export const CreateRunBody = Type.Object(
  {
    app_name: Type.Optional(Type.String()),
    app_id: Type.Optional(Type.String()),
    owner: Type.Optional(Type.String()),
    version: Type.Optional(Type.String()),
    batch_id: Type.Optional(Type.Integer()),
    input_dir: Type.Optional(Type.String()),
    output_workspace: Type.Optional(Type.String()),
    output_dir: Type.Optional(Type.String()),
    settings: Type.Optional(RunSettings),
  },
  { additionalProperties: false },
);

export const RunParams = Type.Object({ run_id: Type.String({ maxLength: 100 }) });

export const ListRunsQuery = Type.Object({
  app_id: Type.Optional(Type.String()),
  app_name: Type.Optional(Type.String()),
  deployment_id: Type.Optional(Type.String()),
  username: Type.Optional(Type.String()),
  run_id: Type.Optional(Type.String()),
  status: Type.Optional(Type.Array(RunStatus)),
  output_workspaces: Type.Optional(Type.Array(Type.String())),
  from_timestamp: Type.Optional(
    Type.Integer({ description: 'Unix seconds; default 24 hours ago.' }),
  ),
  to_timestamp: Type.Optional(Type.Integer({ description: 'Unix seconds.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
  sort_by: Type.Optional(Type.Union([Type.Literal('start_timestamp'), Type.Literal('status')])),
  order: Type.Optional(Type.Union([Type.Literal('ASCENDING'), Type.Literal('DESCENDING')])),
});

export const ListRunsResponse = Type.Object({ runs: Type.Array(RunObject) });

export const ResultsQuery = Type.Object({
  file_offset: Type.Optional(Type.Integer({ minimum: 0 })),
  include_review_results: Type.Optional(Type.Boolean()),
  include_confidence_scores: Type.Optional(Type.Boolean()),
  include_validation_results: Type.Optional(Type.Boolean()),
  include_source_info: Type.Optional(Type.Boolean()),
});

const EditRecord = Type.Object({
  timestamp: Type.String(),
  user_id: Type.String(),
  modifications: Type.Array(Type.Object({ message: Type.Union([Type.String(), Type.Null()]) })),
});

const Box = Type.Object({
  top_x: Type.Number(),
  top_y: Type.Number(),
  bottom_x: Type.Number(),
  bottom_y: Type.Number(),
  page_number: Type.Integer(),
});

export const ResultsResponse = Type.Object({
  id: Type.String(),
  status: RunStatus,
  message: Type.Union([Type.String(), Type.Null()]),
  start_timestamp: Type.Integer(),
  finish_timestamp: Type.Union([Type.Integer(), Type.Null()]),
  batch_id: Type.Optional(Type.String()),
  files: Type.Array(
    Type.Object({
      original_file_name: Type.String(),
      input_file_path: Type.String(),
      documents: Type.Array(
        Type.Object({
          class_name: Type.Union([Type.String(), Type.Null()]),
          page_numbers: Type.Array(Type.Integer()),
          fields: Type.Array(
            Type.Object({
              field_name: Type.String(),
              value: Type.String(),
              type: Type.String(),
              error_msg: Type.Optional(Type.String()),
              confidence: Type.Optional(
                Type.Object({
                  model: Type.Union([Type.Number(), Type.Null()]),
                  ocr: Type.Union([Type.Number(), Type.Null()]),
                }),
              ),
              source_coordinates: Type.Optional(Type.Array(Box)),
              edit_history: Type.Optional(Type.Array(EditRecord)),
              validations: Type.Optional(
                Type.Object({
                  valid: Type.Boolean(),
                  alerts: Type.Array(
                    Type.Object({
                      alert_level: Type.String(),
                      msg: Type.String(),
                      blocked: Type.Boolean(),
                      type: Type.String(),
                    }),
                  ),
                }),
              ),
            }),
          ),
          review_completed: Type.Optional(Type.Boolean()),
          class_edit_history: Type.Optional(Type.Array(EditRecord)),
          validations: Type.Optional(Type.Object({ final_result_pass: Type.Boolean() })),
          post_processed_paths: Type.Optional(Type.Array(Type.String())),
          classification_confidence: Type.Optional(
            Type.Object({ model: Type.Union([Type.Number(), Type.Null()]) }),
          ),
        }),
      ),
    }),
  ),
  keys: Type.Object({ custom: Type.Record(Type.String(), Type.Unknown()) }),
  review_completed: Type.Boolean(),
  has_more: Type.Boolean(),
});

export const DeleteRunQuery = Type.Object({
  delete_db_data: Type.Optional(Type.Boolean({ default: true })),
  delete_input: Type.Optional(Type.Boolean({ default: true })),
  delete_output: Type.Optional(Type.Boolean({ default: true })),
  delete_logs: Type.Optional(Type.Boolean({ default: true })),
});

export const DeleteRunResponse = Type.Object({
  delete_input_dir_job_id: Type.Union([Type.String(), Type.Null()]),
  delete_output_dir_job_id: Type.Union([Type.String(), Type.Null()]),
  delete_log_dir_job_id: Type.Union([Type.String(), Type.Null()]),
});

export const LogsQuery = Type.Object({ follow: Type.Optional(Type.Boolean()) });
