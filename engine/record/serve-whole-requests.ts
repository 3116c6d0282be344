import http from 'node:http';

/**
 * A loopback HTTP server that hands each request to `handle` once its body is whole. What a
 * worker sends (or anything it runs: loopback is reachable) is hostile input: whatever
 * `handle` throws is answered with a 502 in the API's shape naming `label`, a failed call,
 * never the engine's end; a client that goes mid-request ends nothing else. Impure.
 */
export function serveWholeRequests(label: string, handle: (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks));
      } catch (error) {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: `${label}: ${(error as Error).message}` } }));
      }
    });
  });
}
