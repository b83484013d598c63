/** How a multipart upload of `fileSize` bytes is cut into parts of `partSize` (the last may be shorter). */
export function partCount(fileSize: number, partSize: number): number {
  return Math.max(1, Math.ceil(fileSize / partSize));
}

export function expectedPartSize(fileSize: number, partSize: number, partNum: number): number {
  const count = partCount(fileSize, partSize);
  if (partNum < count) return partSize;
  return fileSize - (count - 1) * partSize;
}
