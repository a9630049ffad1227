// Requests Node's HTTP parser refuses (a header folded onto the next line, an invalid header name,
// a malformed request line...) never reach Fastify's routing, so neither its error handler nor
// `frameworkErrors` sees them, and Fastify answers with its own JSON. These get the same HTML
// page as any other 400, with the page headers (CSP, frame and referrer policies), written to the
// socket as raw HTTP/1.1 because there is no request or reply to answer with.
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyInstance } from "fastify";
import { bareErrorPage } from "./errors.js";
import type { SitePaths } from "./paths.js";

/** Node's codes for what is not a malformed request, each with its own status (as Fastify's default). */
const STATUS_BY_CODE: Record<string, number> = { ERR_HTTP_REQUEST_TIMEOUT: 408, HPE_HEADER_OVERFLOW: 431 };

/** The whole answer for `status`: it depends on nothing in the request, so it is built once. */
function rawAnswer(status: number, paths: SitePaths, pageHeaders: readonly [string, string][]): Buffer {
  const body = Buffer.from(bareErrorPage(paths, status).value, "utf8");
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    "content-type: text/html; charset=utf-8",
    "cache-control: no-store",
    ...pageHeaders.map(([name, value]) => `${name}: ${value}`),
    `content-length: ${body.length}`,
    // The parser has lost its place in the stream: nothing after this can be read as a request.
    "connection: close",
  ];
  return Buffer.concat([Buffer.from(`${head.join("\r\n")}\r\n\r\n`, "latin1"), body]);
}

/** Fastify's `clientErrorHandler` option: called with the Fastify instance as `this`. */
export function clientErrorHandler(paths: SitePaths, pageHeaders: readonly [string, string][]) {
  const answers = new Map([400, ...Object.values(STATUS_BY_CODE)].map((status) => [status, rawAnswer(status, paths, pageHeaders)]));
  return function answerClientError(this: FastifyInstance, error: Error & { code?: string }, socket: Duplex): void {
    // A reset connection is already gone: there is nobody to answer.
    if (error.code === "ECONNRESET" || socket.destroyed) return;
    const status = STATUS_BY_CODE[error.code ?? ""] ?? 400;
    // The code only: the error's rawPacket holds the client's bytes (cookies included).
    this.log.debug({ code: error.code, status }, "client error");
    // As Node's and Fastify's defaults: write while the socket can take it, then close.
    if (socket.writable) socket.write(answers.get(status));
    socket.destroy();
  };
}
