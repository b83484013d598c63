/**
 * Unpacks a published app package (tar.gz or zip) into a directory, refusing anything that
 * could write outside it: absolute or `..` paths, backslashes, NUL, symlinks that point out of
 * the package, hard links and device entries. Entry count and total size are capped so an
 * archive bomb is refused rather than unpacked.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, stat } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import yauzl from 'yauzl';
import { invalidInput, payloadTooLarge } from '../../contract/errors.js';

export interface PackageLimits {
  maxEntries: number;
  maxBytes: number;
}

export const DEFAULT_PACKAGE_LIMITS: PackageLimits = { maxEntries: 10_000, maxBytes: 200_000_000 };

type Format = 'tar.gz' | 'zip';

async function sniff(file: string): Promise<Format> {
  const fh = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(4), 0, 4, 0);
    if (bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) return 'tar.gz';
    if (bytesRead === 4 && buffer.readUInt32LE(0) === 0x04034b50) return 'zip';
  } finally {
    await fh.close();
  }
  throw invalidInput('The package must be a .tar.gz or .zip archive.');
}

/** A relative path that stays inside the package, or an invalid-input error naming it. */
export function checkEntryPath(name: string): string {
  const bad = () => invalidInput(`The package entry "${name}" has an unsafe path.`);
  if (name.includes('\0') || name.includes('\\')) throw bad();
  const normal = posix.normalize(name.replace(/^\.\//, ''));
  if (posix.isAbsolute(normal) || normal === '..' || normal.startsWith('../')) throw bad();
  if (name.split('/').includes('..')) throw bad();
  return normal;
}

function checkSymlink(entryPath: string, target: string): void {
  const resolved = posix.normalize(posix.join(posix.dirname(entryPath), target));
  if (posix.isAbsolute(target) || resolved === '..' || resolved.startsWith('../')) {
    throw invalidInput(`The package entry "${entryPath}" links outside the package.`);
  }
}

class Budget {
  entries = 0;
  bytes = 0;
  constructor(private readonly limits: PackageLimits) {}
  add(size: number): void {
    this.entries++;
    this.bytes += size;
    if (this.entries > this.limits.maxEntries) {
      throw payloadTooLarge(`The package has more than ${this.limits.maxEntries} entries.`);
    }
    if (this.bytes > this.limits.maxBytes) {
      throw payloadTooLarge(`The package unpacks to more than ${this.limits.maxBytes} bytes.`);
    }
  }
}

async function extractTar(file: string, dest: string, limits: PackageLimits): Promise<void> {
  const budget = new Budget(limits);
  let refusal: Error | undefined;
  // First pass: read every header and refuse the archive before anything is written.
  await tar.t({
    file,
    onReadEntry: (entry) => {
      if (refusal) return;
      try {
        const path = checkEntryPath(entry.path);
        if (entry.type === 'SymbolicLink') checkSymlink(path, entry.linkpath ?? '');
        else if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'Directory') {
          throw invalidInput(
            `The package entry "${entry.path}" is a ${entry.type}, which is not allowed.`,
          );
        }
        budget.add(entry.size ?? 0);
      } catch (err) {
        refusal = err instanceof Error ? err : new Error(String(err));
      }
    },
  });
  if (refusal) throw refusal;
  await tar.x({ file, cwd: dest, strict: true, preserveOwner: false });
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: true }, (err, zip) =>
      err ? reject(invalidInput(`The zip archive is not valid: ${err.message}`)) : resolve(zip),
    ),
  );
}

async function extractZip(file: string, dest: string, limits: PackageLimits): Promise<void> {
  const zip = await openZip(file);
  const budget = new Budget(limits);
  await new Promise<void>((resolve, reject) => {
    const fail = (err: unknown) => {
      zip.close();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    zip.on('error', fail);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      void (async () => {
        const path = checkEntryPath(entry.fileName);
        const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
        if (mode === 0o120000) {
          throw invalidInput(
            `The package entry "${entry.fileName}" is a symbolic link, which zip packages may not contain.`,
          );
        }
        budget.add(entry.uncompressedSize);
        const target = join(dest, path);
        if (entry.fileName.endsWith('/')) {
          await mkdir(target, { recursive: true });
        } else {
          await mkdir(dirname(target), { recursive: true });
          const stream = await new Promise<NodeJS.ReadableStream>((res, rej) =>
            zip.openReadStream(entry, (err, s) => (err ? rej(err) : res(s))),
          );
          const perms = (entry.externalFileAttributes >>> 16) & 0o777;
          await pipeline(stream, createWriteStream(target, { mode: perms || 0o644 }));
        }
        zip.readEntry();
      })().catch(fail);
    });
    zip.readEntry();
  });
}

/**
 * Unpacks `archive` into `dest` (which must exist and be empty) and returns the package root:
 * `dest` itself, or its single top-level folder when the archive was made from a folder.
 */
export async function extractPackage(
  archive: string,
  dest: string,
  manifestFile: string,
  limits: PackageLimits = DEFAULT_PACKAGE_LIMITS,
): Promise<string> {
  const format = await sniff(archive);
  if (format === 'tar.gz') await extractTar(archive, dest, limits);
  else await extractZip(archive, dest, limits);
  if (await isFile(join(dest, manifestFile))) return dest;
  const top = await readdir(dest, { withFileTypes: true });
  const only = top.length === 1 ? top[0] : undefined;
  if (only?.isDirectory() && (await isFile(join(dest, only.name, manifestFile)))) {
    return join(dest, only.name);
  }
  throw invalidInput(`The package has no ${manifestFile} at its root.`);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
