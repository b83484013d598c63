/**
 * A run's default storages in the Apify dialect: its files are its default dataset (one item
 * per file), and its default key-value store holds its summary as `OUTPUT`. The storage ids are
 * the run id, so both the run-scoped paths (`/v2/actor-runs/{id}/dataset/items`) and the
 * storage paths (`/v2/datasets/{defaultDatasetId}/items`) answer.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidInput, RunboxError } from '../../contract/errors.js';
import type { Services } from '../aihub/services.js';
import { principal } from '../request-context.js';
import { flag, toApifyOutput } from './apify-views.js';

const RunParams = Type.Object({ runId: Type.String() });
const RecordParams = Type.Object({ runId: Type.String(), key: Type.String() });
const Bool = Type.String();
const ItemsQuery = Type.Object({
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 0 })),
  desc: Type.Optional(Bool),
  format: Type.Optional(Type.String()),
});
// apify-client's getRecord sends `attachment=true`; the record is JSON either way.
const RecordQuery = Type.Object({
  attachment: Type.Optional(Bool),
  signature: Type.Optional(Type.String()),
});

/** Not in the AI Hub OpenAPI document (it is that dialect's contract). */
const hide = true;

/** The one record a run's key-value store holds. */
const OUTPUT = 'OUTPUT';

export const apifyStorageRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const listItems = async (
    req: FastifyRequest<{ Params: { runId: string }; Querystring: typeof ItemsQuery.static }>,
    reply: FastifyReply,
  ) => {
    const p = principal(req);
    const q = req.query;
    const format = (q.format ?? 'json').toLowerCase();
    if (!['json', 'jsonl', 'csv'].includes(format)) {
      throw invalidInput(`Unsupported format "${format}"; use json, jsonl or csv.`);
    }
    const desc = flag(q.desc, 'desc') ?? false;
    const run = await services.runs.getRow(p, req.params.runId);
    const total = run.file_count;
    const offset = Math.min(q.offset ?? 0, total);
    const limit = Math.min(q.limit ?? total, total - offset);
    // The files shown, by index: [from, to), reversed when desc.
    const from = desc ? total - offset - limit : offset;
    const items: Record<string, unknown>[] = [];
    let at = from;
    while (at < from + limit) {
      const page = await services.runResults.results(p, run.id, { file_offset: at });
      if (page.files.length === 0) break;
      for (const f of page.files.slice(0, from + limit - at)) items.push(datasetItem(f));
      at += page.files.length;
    }
    if (desc) items.reverse();
    void reply.headers({
      'X-Apify-Pagination-Offset': String(offset),
      'X-Apify-Pagination-Limit': String(q.limit ?? limit),
      'X-Apify-Pagination-Count': String(items.length),
      'X-Apify-Pagination-Total': String(total),
      'X-Apify-Pagination-Desc': String(desc),
    });
    if (format === 'jsonl') {
      return reply
        .type('application/jsonl; charset=utf-8')
        .send(items.map((i) => `${JSON.stringify(i)}\n`).join(''));
    }
    if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(toCsv(items));
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(items));
  };

  for (const url of ['/v2/actor-runs/:runId/dataset/items', '/v2/datasets/:runId/items']) {
    app.get(url, { schema: { hide, params: RunParams, querystring: ItemsQuery } }, listItems);
  }

  for (const url of [
    '/v2/actor-runs/:runId/key-value-store/records/:key',
    '/v2/key-value-stores/:runId/records/:key',
  ]) {
    app.get(
      url,
      { schema: { hide, params: RecordParams, querystring: RecordQuery } },
      async (req, reply) => {
        flag(req.query.attachment, 'attachment');
        const { run, files } = await services.runResults.outcomes(principal(req), req.params.runId);
        if (req.params.key !== OUTPUT) {
          // `record-not-found`, so apify-client's getRecord answers undefined.
          throw new RunboxError(
            'record-not-found',
            `Record ${req.params.key} not found: a run's store holds only ${OUTPUT}.`,
          );
        }
        return reply
          .type('application/json; charset=utf-8')
          .send(JSON.stringify(toApifyOutput(run, files, Date.now())));
      },
    );
  }
};

interface ResultFileView {
  original_file_name: string;
  documents: {
    class_name: string | null;
    page_numbers: number[];
    fields: { field_name: string; value: unknown; error_msg?: string }[];
  }[];
}

/** One dataset item per run file: its name, its (first document's) class and fields. */
function datasetItem(f: ResultFileView): Record<string, unknown> {
  const [first, ...more] = f.documents;
  const fields = (d: ResultFileView['documents'][number]) =>
    Object.fromEntries(d.fields.map((x) => [x.field_name, x.value]));
  const errors = f.documents.flatMap((d) =>
    d.fields.filter((x) => x.error_msg !== undefined).map((x) => `${x.field_name}: ${x.error_msg}`),
  );
  return {
    fileName: f.original_file_name,
    className: first?.class_name ?? null,
    ...(first ? fields(first) : {}),
    ...(errors.length > 0 ? { '#errors': errors } : {}),
    ...(more.length > 0
      ? {
          documents: f.documents.map((d) => ({
            className: d.class_name,
            pageNumbers: d.page_numbers,
            fields: fields(d),
          })),
        }
      : {}),
  };
}

function toCsv(items: Record<string, unknown>[]): string {
  const columns = [...new Set(items.flatMap((i) => Object.keys(i)))];
  const cell = (v: unknown) => {
    const s = v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns, ...items.map((i) => columns.map((c) => i[c]))]
    .map((row) => row.map(cell).join(','))
    .join('\r\n')
    .concat('\r\n');
}
