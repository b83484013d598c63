import { lazy, Suspense, useEffect, useState } from 'react';
import type { Runbox } from '../../../client/src/index.js';
import { ErrorMessage } from '../ui.js';

// The PDF renderer (pdf.js) is loaded only when a PDF is shown.
const PdfPages = lazy(() => import('./pdf-pages.js'));

/** An input file as the reviewer reads it: text as text, images, PDF pages drawn in the page. */
export function DocumentPreview(props: { client: Runbox; runId: string; fileIndex: number }) {
  const { client, runId, fileIndex } = props;
  const [content, setContent] = useState<{ type: string; bytes: Uint8Array }>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const controller = new AbortController();
    setContent(undefined);
    setError(undefined);
    client.apps.runs
      .fileContent(runId, fileIndex, { signal: controller.signal })
      .then(setContent, (err: unknown) => !controller.signal.aborted && setError(err));
    return () => controller.abort();
  }, [client, runId, fileIndex]);

  if (error) return <ErrorMessage error={error} />;
  if (!content) return <p className="loading">Loading the document…</p>;
  return (
    <div className="preview" aria-label="Document preview" role="region" tabIndex={0}>
      <Preview {...content} />
    </div>
  );
}

function Preview({ type, bytes }: { type: string; bytes: Uint8Array }) {
  const [url, setUrl] = useState<string>();
  const isImage = type.startsWith('image/');
  useEffect(() => {
    if (!isImage) return;
    const u = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [bytes, type, isImage]);

  if (type.startsWith('text/') || type.startsWith('application/json')) {
    return <pre>{new TextDecoder().decode(bytes)}</pre>;
  }
  if (isImage) return url ? <img src={url} alt="The document" /> : null;
  if (type.startsWith('application/pdf')) {
    return (
      <Suspense fallback={<p className="loading">Loading the PDF viewer…</p>}>
        <PdfPages bytes={bytes} />
      </Suspense>
    );
  }
  return <p className="hint">No preview for {type} files.</p>;
}
