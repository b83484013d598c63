// Runs inside a child process of a Runbox worker. Loads one app version's entry once (the
// process stays warm across files and runs) and calls its default export for each file the
// parent sends, one file at a time. Plain JavaScript so it needs no build step.
import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { format } from 'node:util';
import { pathToFileURL } from 'node:url';

const entry = process.env.RUNBOX_APP_ENTRY;
let appFunction;
let current;

async function load() {
  if (!appFunction) {
    const mod = await import(pathToFileURL(entry).href);
    const fn = typeof mod.default === 'function' ? mod.default : mod.default?.default;
    if (typeof fn !== 'function') {
      throw new Error(`${entry} must export a default async function (file, ctx)`);
    }
    appFunction = fn;
  }
  return appFunction;
}

function send(message) {
  if (process.connected) process.send(message);
}

// Whatever the app prints goes to the run log of the file being processed.
for (const stream of ['log', 'info', 'warn', 'error', 'debug']) {
  console[stream] = (...args) => send({ type: 'log', id: current?.id, line: format(...args) });
}

process.on('message', (msg) => {
  if (msg.type === 'abort') {
    if (current?.id === msg.id) current.controller.abort(new Error(msg.reason ?? 'aborted'));
    return;
  }
  if (msg.type !== 'run') return;
  const controller = new AbortController();
  current = { id: msg.id, controller };
  const { file, keys, secrets, outputDir } = msg;
  let outputMade = false;
  const ctx = {
    keys,
    secrets,
    // Made on first use, so apps that write no output cost no folder.
    get outputDir() {
      if (!outputMade) mkdirSync(outputDir, { recursive: true });
      outputMade = true;
      return outputDir;
    },
    signal: controller.signal,
    log: (...args) => send({ type: 'log', id: msg.id, line: format(...args) }),
    progress: (fraction) => send({ type: 'progress', id: msg.id, fraction: Number(fraction) }),
  };
  const input = {
    name: file.name,
    path: file.path,
    size: file.size,
    bytes: () => readFile(file.path),
    text: () => readFile(file.path, 'utf8'),
  };
  if (!existsSync(file.path)) {
    send({ type: 'missing-input', id: msg.id });
    current = undefined;
    return;
  }
  // outputUnused tells the parent there is no output folder to clean up.
  load()
    .then((fn) => fn(input, ctx))
    .then(
      (documents) =>
        send({ type: 'result', id: msg.id, documents: documents ?? [], outputUnused: !outputMade }),
      (err) =>
        send({
          type: 'error',
          id: msg.id,
          message: err?.message ?? String(err),
          outputUnused: !outputMade,
        }),
    )
    .finally(() => {
      if (current?.id === msg.id) current = undefined;
    });
});

// The worker went away (killed, crashed): stop too, rather than run on with nobody to report to.
process.on('disconnect', () => process.exit(0));

send({ type: 'ready' });
