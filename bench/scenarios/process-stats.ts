import { readdirSync, readFileSync } from 'node:fs';
import { sleep } from '../stats.js';

/** CPU seconds used so far by a process (user + system), from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

/** CPU seconds used so far by the live descendants of a process (its app processes). */
export function descendantsCpuSeconds(pid: number): number {
  let total = 0;
  for (const child of childPids(pid)) {
    try {
      total += cpuSeconds(child) + descendantsCpuSeconds(child);
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .split(' ')
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU use (% of one core) of an idle process over `seconds`. */
export async function idleCpu(pid: number, seconds: number): Promise<number> {
  const before = cpuSeconds(pid);
  await sleep(seconds * 1000);
  return ((cpuSeconds(pid) - before) / seconds) * 100;
}

/** The server's own count of database statements, from /metrics. */
export async function queryCount(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^runbox_db_queries_total (\d+)/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Database statements a second of an idle server, over `seconds`. */
export async function idleQueries(url: string, seconds: number): Promise<number> {
  const before = await queryCount(url);
  await sleep(seconds * 1000);
  return ((await queryCount(url)) - before) / seconds;
}
