/**
 * A real HTTP webhook receiver on 127.0.0.1 for tests: records every request (method, path,
 * headers, body) and answers as told, so deliveries are observed over a real socket.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './harness.js';

/** What the receiver got, and what it answered. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status answered; 0 while held (never answered). */
  answered: number;
}

/**
 * A webhook receiver on 127.0.0.1: records every request and answers with `answer(n)`, where
 * n counts the requests so far from 1.
 */
export class Receiver {
  readonly received: Received[] = [];
  /** The status to answer the n-th request with (from 1), or 'hold' to never answer it. */
  answer: (n: number) => number | 'hold' = () => 200;
  private readonly server: Server;

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answer = this.answer(this.received.length + 1);
        this.received.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          answered: answer === 'hold' ? 0 : answer,
        });
        if (answer !== 'hold') res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
      });
    });
  }

  static async start(): Promise<Receiver> {
    const r = new Receiver();
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    return r;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** Requests of one event type, in arrival order. */
  of(type: string): Received[] {
    return this.received.filter((r) => r.headers['runbox-event-type'] === type);
  }

  /** Waits for a request of `type` that was answered with a 2xx status. */
  delivered(type: string): Promise<Received> {
    return waitFor(
      async () => this.of(type).find((r) => r.answered >= 200 && r.answered < 300),
      `a delivered ${type} webhook`,
    );
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
