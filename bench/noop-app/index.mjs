// Reports the moment app code started (epoch ms, sub-millisecond); waits for the abort signal
// when the file is named wait.txt (cancel latency: it reports when the abort arrived).
export default async function (file, ctx) {
  const started = performance.timeOrigin + performance.now();
  if (file.name === 'wait.txt') {
    ctx.log(`started ${started}`);
    await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
    ctx.log(`aborted ${performance.timeOrigin + performance.now()}`);
    return [];
  }
  return [{ fields: { started } }];
}
