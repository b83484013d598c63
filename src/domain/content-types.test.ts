import { describe, expect, it } from 'vitest';
import { contentTypeOf } from './content-types.js';

describe('contentTypeOf', () => {
  it('names a preview’s media type by the extension, in any case', () => {
    expect(contentTypeOf('scan.PDF')).toBe('application/pdf');
    expect(contentTypeOf('dir/photo.JpEg')).toBe('image/jpeg');
    expect(contentTypeOf('notes.txt')).toBe('text/plain; charset=utf-8');
  });

  it('sends uploaded markup as plain text, and what it does not know as bytes', () => {
    expect(contentTypeOf('page.html')).toBe('text/plain; charset=utf-8');
    expect(contentTypeOf('feed.xml')).toBe('text/plain; charset=utf-8');
    expect(contentTypeOf('image.svg')).toBe('application/octet-stream');
    expect(contentTypeOf('README')).toBe('application/octet-stream');
    expect(contentTypeOf('.pdf')).toBe('application/octet-stream');
  });
});
