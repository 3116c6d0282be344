import http from 'node:http';
import { messageOf } from '../util/message-of.js';

/**
 * The most of a request's body the engine's loopback servers read: far past a real CLI's
 * request (a whole conversation with its tools is a few MB), far below the 512 MiB past which
 * V8 makes no string of it. A hostile probe's worker streamed 600 MiB to the scripted model,
 * and the engine died making the string (an uncaught error, the run left `running`).
 */
export const MAX_REQUEST_BYTES = 64 * 2 ** 20;

/**
 * A loopback HTTP server that hands each request to `handle` once its body is whole. What a
 * worker sends (or anything it runs: loopback is reachable) is hostile input: whatever
 * `handle` throws is answered with a 502 in the API's shape naming `label`, a failed call,
 * never the engine's end; a body past `maxBytes` is answered 413 at once and the rest of it
 * dropped as it comes, the connection closed after; a client that goes mid-request ends nothing
 * else. Impure.
 */
export function serveWholeRequests(label: string, handle: (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void, maxBytes = MAX_REQUEST_BYTES): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    const fail = (status: number, message: string): void => {
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ type: 'error', error: { type: status === 413 ? 'request_too_large' : 'api_error', message: `${label}: ${message}` } }));
    };
    req.on('data', (c: Buffer) => {
      if (refused) return;
      size += c.length;
      if (size <= maxBytes) return void chunks.push(c);
      refused = true;
      chunks.length = 0;
      // The rest is read and dropped: a socket closed on unread data is reset, and the client
      // would lose the answer that says why.
      fail(413, `the request body is over ${maxBytes} bytes`);
    });
    req.on('error', () => {});
    req.on('end', () => {
      if (refused) return;
      try {
        handle(req, res, Buffer.concat(chunks));
      } catch (error) {
        fail(502, messageOf(error));
      }
    });
  });
}
