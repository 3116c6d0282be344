import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A listening HTTP server: its origin, its port, and a close that drops open connections first. */
export interface LocalServer {
  origin: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Start `server` on `host` (default 127.0.0.1) and `port` (default 0: any free port). The
 * scripted model, the record proxy and the replay server all serve the worker CLIs this way.
 * Impure: binds a socket.
 */
export async function listenLocal(server: Server, o: { host?: string; port?: number } = {}): Promise<LocalServer> {
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://${host}:${port}`,
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
