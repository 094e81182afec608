import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ZipServer {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** Each request's path and Range header, in order. */
  requests: { path: string; range: string }[];
  close(): Promise<void>;
}

/**
 * Serves zips as a download host does, on a free port: `Range: bytes=a-b` answered with 206
 * and Content-Range (or, for a file served with `ranges: false`, ignored: the whole file with
 * 200), any other request the whole file, an unknown path 404; or a redirect, or an error status.
 */
export async function serveZips(files: Record<string, { bytes: Buffer; ranges?: boolean } | { redirect: string } | { status: number }>): Promise<ZipServer> {
  const requests: ZipServer['requests'] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    requests.push({ path, range: req.headers.range ?? '' });
    const file = files[path];
    if (!file) return res.writeHead(404).end();
    if ('redirect' in file) return res.writeHead(302, { location: file.redirect }).end();
    if ('status' in file) return res.writeHead(file.status, { 'content-type': 'text/plain' }).end('secret internal page');
    const [, a, b] = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '') ?? [];
    if (a === undefined || file.ranges === false) return res.writeHead(200, { 'content-length': file.bytes.length }).end(file.bytes);
    const end = Math.min(Number(b), file.bytes.length - 1);
    res.writeHead(206, { 'content-range': `bytes ${a}-${end}/${file.bytes.length}`, 'content-length': end - Number(a) + 1 });
    res.end(file.bytes.subarray(Number(a), end + 1));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
