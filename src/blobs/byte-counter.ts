import { Transform, type TransformCallback } from 'node:stream';
import { invalidInput, payloadTooLarge } from '../contract/errors.js';
import type { WriteLimits } from './blobs.js';

/** Passes bytes through, failing the stream as soon as a limit is broken. */
export class ByteCounter extends Transform {
  bytes = 0;

  constructor(private readonly limits: WriteLimits) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    const { maxBytes, exactBytes } = this.limits;
    if (maxBytes !== undefined && this.bytes > maxBytes) {
      done(payloadTooLarge(`The upload is larger than the limit of ${maxBytes} bytes.`));
      return;
    }
    if (exactBytes !== undefined && this.bytes > exactBytes) {
      done(invalidInput(`Expected exactly ${exactBytes} bytes, received more.`));
      return;
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const { exactBytes } = this.limits;
    if (exactBytes !== undefined && this.bytes !== exactBytes) {
      done(invalidInput(`Expected exactly ${exactBytes} bytes, received ${this.bytes}.`));
      return;
    }
    done();
  }
}
