import { GlobalWorkerOptions, getDocument } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';
import { useEffect, useRef, useState } from 'react';
import { ErrorMessage } from '../ui.js';

GlobalWorkerOptions.workerSrc = workerUrl;

/** At most this many pages are drawn (a long document shows its start). */
const MAX_PAGES = 20;

/** A PDF's pages drawn on canvases by pdf.js, in its worker, from bytes already fetched. */
export default function PdfPages({ bytes }: { bytes: Uint8Array }) {
  const holder = useRef<HTMLDivElement>(null);
  const [pages, setPages] = useState<number>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let cancelled = false;
    // pdf.js takes the buffer over: it gets a copy.
    const task = getDocument({ data: bytes.slice(), isEvalSupported: false, useSystemFonts: true });
    void (async () => {
      try {
        const pdf = await task.promise;
        if (cancelled) return;
        setPages(pdf.numPages);
        const el = holder.current;
        if (!el) return;
        el.replaceChildren();
        for (let n = 1; n <= Math.min(pdf.numPages, MAX_PAGES) && !cancelled; n++) {
          const page = await pdf.getPage(n);
          const viewport = page.getViewport({ scale: 1.3 });
          const canvas = document.createElement('canvas');
          canvas.width = Math.ceil(viewport.width);
          canvas.height = Math.ceil(viewport.height);
          canvas.setAttribute('role', 'img');
          canvas.setAttribute('aria-label', `Page ${n}`);
          el.append(canvas);
          await page.render({ canvas, viewport }).promise;
        }
      } catch (err) {
        if (!cancelled) setError(err);
      }
    })();
    return () => {
      cancelled = true;
      void task.destroy();
    };
  }, [bytes]);
  return (
    <>
      <ErrorMessage error={error} />
      {pages !== undefined && <p className="hint">{pages} page(s)</p>}
      <div ref={holder} data-testid="pdf-pages" />
    </>
  );
}
