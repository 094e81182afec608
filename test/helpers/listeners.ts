/** Local servers the notification tests read what arrived from: an SMTP server, a webhook, a monitor. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { expect } from 'vitest';
import type { Sql } from '../../lib/db/client';
import { deliverDue } from '../../lib/notify';

export interface Mail {
  from: string;
  to: string[];
  subject: string;
  headers: Record<string, string>;
  body: string;
}

/** A real SMTP server on 127.0.0.1 (no TLS, no login): every message it accepts, parsed enough to read. */
export async function startSmtp(): Promise<{ url: string; mails: Mail[]; close: () => Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, done) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      stream.on('end', () => {
        const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
        const headers: Record<string, string> = {};
        for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
          const at = line.indexOf(':');
          if (at > 0) headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
        }
        const body = rest.join('\n\n').replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: headers.subject ?? '',
          headers,
          body,
        });
        done();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, mails, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export interface Heard {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** What it answered. */
  status: number;
  /** When it arrived (epoch ms). */
  at: number;
}

/** An HTTP listener answering `status(request number, path)` (200 by default) and keeping every request. */
export async function startListener(status: (n: number, path: string) => number = () => 200): Promise<{ url: string; heard: Heard[]; close: () => Promise<void> }> {
  const heard: Heard[] = [];
  const server = createServer((req, res) => {
    // Whole before decoding: a character's bytes may be split between two chunks.
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answer = status(heard.length + 1, req.url ?? '');
      heard.push({ path: req.url ?? '', headers: req.headers, body, status: answer, at: Date.now() });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, heard, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Waits (bounded: ten seconds) until `done` holds, sending what is due meanwhile as the step calls and the cron would. */
export async function untilDelivered(db: Sql, done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) {
    await deliverDue(db, { deadline: Date.now() + 1_000 });
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(done(), what).toBe(true);
}
