import type { RequestBody } from './transport.js';
/**
 * What `addFile` accepts: a file path (Node), bytes, a Blob/File (browsers), or a stream with
 * its size. Each becomes something that can give its bytes whole or a slice at a time.
 */
export type UploadSource =
  | string
  | Uint8Array
  | ArrayBuffer
  | Blob
  | { stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>; size: number };

export interface OpenedSource {
  size: number;
  /** The bytes from `start` (inclusive) to `end` (exclusive), in order of calls. */
  slice(start: number, end: number): Promise<Uint8Array>;
  /** The whole content as a request body. */
  whole(): Promise<RequestBody>;
  close(): Promise<void>;
}

export async function openSource(src: UploadSource): Promise<OpenedSource> {
  if (typeof src === 'string') return openPath(src);
  if (src instanceof Uint8Array || src instanceof ArrayBuffer) {
    const bytes = src instanceof Uint8Array ? src : new Uint8Array(src);
    return {
      size: bytes.byteLength,
      slice: async (a, b) => bytes.subarray(a, b),
      whole: async () => bytes as unknown as RequestBody,
      close: async () => undefined,
    };
  }
  if (typeof Blob !== 'undefined' && src instanceof Blob) {
    return {
      size: src.size,
      slice: async (a, b) => new Uint8Array(await src.slice(a, b).arrayBuffer()),
      whole: async () => src,
      close: async () => undefined,
    };
  }
  const sized = src as {
    stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
    size: number;
  };
  return openStream(sized.stream, sized.size);
}

/** A Node file path, read with `node:fs` (loaded only here, so browsers never need it). */
async function openPath(path: string): Promise<OpenedSource> {
  const fs = await import('node:fs/promises');
  const handle = await fs.open(path, 'r');
  const { size } = await handle.stat();
  return {
    size,
    async slice(a, b) {
      const buf = new Uint8Array(b - a);
      let read = 0;
      while (read < buf.length) {
        const { bytesRead } = await handle.read(buf, read, buf.length - read, a + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      return buf.subarray(0, read);
    },
    async whole() {
      const { Readable } = await import('node:stream');
      const { createReadStream } = await import('node:fs');
      return Readable.toWeb(createReadStream(path)) as unknown as RequestBody;
    },
    close: () => handle.close(),
  };
}

/** A stream read in order: slices must be asked for one after another. */
function openStream(
  stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  size: number,
): OpenedSource {
  const iterator = (
    Symbol.asyncIterator in stream
      ? (stream as AsyncIterable<Uint8Array>)
      : iterate(stream as ReadableStream<Uint8Array>)
  )[Symbol.asyncIterator]();
  let pending = new Uint8Array(0);
  let used = false;
  return {
    size,
    async slice(a, b) {
      used = true;
      const want = b - a;
      while (pending.byteLength < want) {
        const next = await iterator.next();
        if (next.done) break;
        const merged = new Uint8Array(pending.byteLength + next.value.byteLength);
        merged.set(pending);
        merged.set(next.value, pending.byteLength);
        pending = merged;
      }
      const out = pending.subarray(0, want);
      pending = pending.subarray(want);
      return out;
    },
    async whole() {
      if (used) throw new Error('The stream was already read.');
      used = true;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = await iterator.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        },
      });
    },
    close: async () => {
      await iterator.return?.();
    },
  };
}

async function* iterate(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
