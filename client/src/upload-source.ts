import { RunboxError } from './errors.js';
import type { BodyFactory, RequestBody } from './transport.js';
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
  /** `whole()` may be called again (bytes, a Blob, a file): the request can be retried. */
  rewindable: boolean;
  /** The bytes from `start` (inclusive) to `end` (exclusive), in order of calls. */
  slice(start: number, end: number): Promise<Uint8Array>;
  /** The whole content as a request body. */
  whole(): Promise<RequestBody>;
  /** After the last slice: throws when the source holds more than `size` bytes. */
  end(): Promise<void>;
  close(): Promise<void>;
}

export async function openSource(src: UploadSource): Promise<OpenedSource> {
  if (typeof src === 'string') return openPath(src);
  if (src instanceof Uint8Array || src instanceof ArrayBuffer) {
    const bytes = src instanceof Uint8Array ? src : new Uint8Array(src);
    return {
      size: bytes.byteLength,
      rewindable: true,
      slice: async (a, b) => bytes.subarray(a, b),
      // Needed where the DOM's types apply (a Uint8Array over any buffer is a body in both).
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
      whole: async () => bytes as unknown as RequestBody,
      end: async () => undefined,
      close: async () => undefined,
    };
  }
  if (typeof Blob !== 'undefined' && src instanceof Blob) {
    return {
      size: src.size,
      rewindable: true,
      slice: async (a, b) => new Uint8Array(await src.slice(a, b).arrayBuffer()),
      whole: async () => src,
      end: async () => undefined,
      close: async () => undefined,
    };
  }
  const sized = src as {
    stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
    size: number;
  };
  return openStream(sized.stream, sized.size);
}

/** The request body of a whole upload: a factory when it can be sent again, else the stream. */
export async function uploadBody(src: OpenedSource): Promise<RequestBody | BodyFactory> {
  return src.rewindable ? () => src.whole() : src.whole();
}

/** A Node file path, read with `node:fs` (loaded only here, so browsers never need it). */
async function openPath(path: string): Promise<OpenedSource> {
  const fs = await import('node:fs/promises');
  const handle = await fs.open(path, 'r');
  const { size } = await handle.stat();
  return {
    size,
    rewindable: true,
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
      // Node's web stream is the DOM's ReadableStream under another declaration.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
      return Readable.toWeb(createReadStream(path)) as unknown as RequestBody;
    },
    end: async () => undefined,
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
  /** Chunks read but not yet handed out, and their total size. */
  const pending: Uint8Array[] = [];
  let buffered = 0;
  let used = false;
  return {
    size,
    rewindable: false,
    async slice(a, b) {
      used = true;
      const want = b - a;
      while (buffered < want) {
        const next = await iterator.next();
        if (next.done) break;
        pending.push(next.value);
        buffered += next.value.byteLength;
      }
      // Copied once into the slice (merging chunk by chunk would copy a part over and over).
      const out = new Uint8Array(Math.min(want, buffered));
      for (let at = 0; at < out.byteLength;) {
        const chunk = pending[0]!;
        const take = Math.min(chunk.byteLength, out.byteLength - at);
        out.set(chunk.subarray(0, take), at);
        at += take;
        if (take === chunk.byteLength) pending.shift();
        else pending[0] = chunk.subarray(take);
      }
      buffered -= out.byteLength;
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
    async end() {
      // A stream is read only as far as its size: bytes past it would be silently dropped.
      let extra = buffered > 0;
      while (!extra) {
        const next = await iterator.next();
        if (next.done) return;
        extra = next.value.byteLength > 0;
      }
      throw new RunboxError(
        0,
        'invalid-input',
        `The stream holds more than the ${size} bytes its size says; nothing was stored.`,
      );
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
