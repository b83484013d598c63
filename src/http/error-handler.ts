import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalidInput, isRunboxError, payloadTooLarge, RunboxError } from '../contract/errors.js';
import { dialectOf, errorStatus, renderError } from './dialects.js';

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Turns a schema validation failure into a message that names the field. */
function validationMessage(context: string | undefined, issue: ValidationIssue): string {
  const where = context ?? 'request';
  const field = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
  switch (issue.keyword) {
    case 'additionalProperties':
      return `Unknown field "${String(issue.params.additionalProperty)}" in ${where}.`;
    case 'required':
      return `Missing required field "${[field, String(issue.params.missingProperty)].filter(Boolean).join('.')}" in ${where}.`;
    default:
      return `Field "${field || where}" in ${where} ${issue.message ?? 'is not valid'}.`;
  }
}

/** Maps anything thrown to a catalogue error. Unknown errors become internal-error. */
export function toRunboxError(err: unknown): RunboxError {
  if (isRunboxError(err)) return err;
  const e = err as FastifyError & { validation?: ValidationIssue[]; validationContext?: string };
  if (e.validation?.[0])
    return invalidInput(validationMessage(e.validationContext, e.validation[0]));
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return payloadTooLarge('The request body is too large.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return invalidInput('The JSON body is empty.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return invalidInput('Unsupported Content-Type: send application/json.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return invalidInput('Content-Length does not match the body.');
    case 'FST_ERR_BAD_URL':
      return invalidInput('The URL is malformed (bad percent-encoding).');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return invalidInput('A path segment of the URL is too long.');
  }
  if (e instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return invalidInput(`Malformed JSON body: ${e.message}`);
  }
  return new RunboxError('internal-error', 'Internal error.', { cause: err });
}

/** Renders anything thrown as its dialect's error envelope. */
export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const rb = toRunboxError(err);
  if (rb.type === 'internal-error') {
    request.log.error({ err }, 'unexpected error');
  }
  // A refused upload may still be arriving; closing the connection stops it.
  if (rb.type === 'payload-too-large') void reply.header('Connection', 'close');
  void reply.headers(rb.headers);
  const dialect = dialectOf(request.url);
  return reply
    .status(errorStatus(dialect, rb))
    .type('application/json')
    .send(renderError(dialect, rb, request.id));
}

/** The one error handler: every dialect's envelope comes from the same catalogue. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler(sendError);
}
