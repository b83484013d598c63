import type { ReviewFile, ReviewFileRequest } from '../../../client/src/index.js';

/** A field's place in a file under review: `document:field`. */
export const fieldKey = (documentIndex: number, fieldName: string) =>
  `${documentIndex}:${fieldName}`;

/** Every field of the file in order, documents first to last. */
export function fieldsOf(file: ReviewFile) {
  return file.documents.flatMap((d) =>
    d.fields.map((f) => ({
      key: fieldKey(d.document_index, f.field_name),
      documentIndex: d.document_index,
      failing: d.failing_fields.includes(f.field_name) || !f.validations.valid,
      field: f,
    })),
  );
}

/** The corrections to send: the edited values that differ from the stored ones. */
export function correctionsOf(
  file: ReviewFile,
  edits: Readonly<Record<string, string>>,
): NonNullable<ReviewFileRequest['corrections']> {
  return fieldsOf(file)
    .filter((f) => edits[f.key] !== undefined && edits[f.key] !== f.field.value)
    .map((f) => ({
      document_index: f.documentIndex,
      field_name: f.field.field_name,
      value: edits[f.key]!,
    }));
}
