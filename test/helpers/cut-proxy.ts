import net from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that can be cut: `down()` drops every open connection
 * and refuses new ones (the app sees what it sees when the server dies: reset sockets, then
 * ECONNREFUSED), `up()` listens again on the same port. Used by the tests (CLI and e2e) to
 * take the database away from a real app and give it back.
 */
export interface CutProxy {
  port: number;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startCutProxy(target: { host: string; port: number }, port = 0): Promise<CutProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  const listen = (on: number) =>
    new Promise<number>((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        for (const sock of [client, upstream]) {
          sockets.add(sock);
          sock.on('close', () => sockets.delete(sock));
          sock.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(on, '127.0.0.1', () => {
        server = s;
        resolve((s.address() as net.AddressInfo).port);
      });
    });
  const bound = await listen(port);
  const down = async () => {
    const s = server;
    server = null;
    for (const sock of sockets) sock.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  };
  return {
    port: bound,
    down,
    up: async () => {
      if (!server) await listen(bound);
    },
    close: down,
  };
}
