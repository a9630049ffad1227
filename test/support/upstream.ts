// A tiny real upstream app for the gateway tests (node:http on 127.0.0.1:0): it records every
// request it receives and echoes what it saw, so a test can assert exactly what gatehouse
// forwarded. Routes:
//   /slow?ms=N       answers after N ms (the 504 test)
//   /download?bytes=N streams N bytes of a fixed pattern in 64 KiB chunks
//   /upload          reads the whole body and answers its length and SHA-256
//   /set-cookie      302 to /landing with the app's cookie and forged gatehouse cookies
//   /status/NNN      answers that status
//   anything else    JSON {method, url, headers, body}
// and a WebSocket endpoint on every path: it first sends {url, headers} of the upgrade, then
// echoes each message.
import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface EchoedRequest extends SeenRequest {
  body: string;
}

export interface Upstream {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  /** Every request and WebSocket upgrade that reached the app, in order. */
  seen: SeenRequest[];
  /** How many WebSocket connections to the app are open now. */
  openSockets(): number;
  close(): Promise<void>;
}

/** The byte at offset i of /download's body: a pattern whose every slice is checkable. */
export function patternByte(i: number): number {
  return (i * 31 + (i >> 16)) & 0xff;
}

export function patternBytes(length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = patternByte(i);
  return out;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendJSON(response: ServerResponse, value: unknown, status = 200) {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
}

async function handle(request: IncomingMessage, response: ServerResponse) {
  const url = new URL(request.url ?? "/", "http://upstream.invalid");
  if (url.pathname === "/slow") {
    await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get("ms") ?? "2000")));
    return sendJSON(response, { slow: true });
  }
  if (url.pathname === "/download") {
    const total = Number(url.searchParams.get("bytes") ?? "0");
    response.writeHead(200, { "content-type": "application/octet-stream" });
    const pattern = patternBytes(total);
    for (let offset = 0; offset < total; offset += 65_536) {
      if (!response.write(pattern.subarray(offset, offset + 65_536))) await new Promise((resolve) => response.once("drain", resolve));
    }
    return response.end();
  }
  if (url.pathname === "/upload") {
    const body = await readBody(request);
    return sendJSON(response, { bytes: body.length, sha256: createHash("sha256").update(body).digest("hex") });
  }
  if (url.pathname === "/set-cookie") {
    response.writeHead(302, {
      location: "/landing?from=app",
      "set-cookie": ["app_pref=dark; Path=/", "gatehouse_session=forged; Path=/", "__Host-gatehouse_device=forged; Path=/; Secure"],
    });
    return response.end();
  }
  const status = /^\/status\/(\d{3})$/.exec(url.pathname)?.[1];
  if (status) return sendJSON(response, { status: Number(status) }, Number(status));
  const body = await readBody(request);
  return sendJSON(response, { method: request.method, url: request.url, headers: request.headers, body: body.toString("utf8") });
}

export async function startUpstream(): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  const server = createServer((request, response) => {
    seen.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers });
    handle(request, response).catch(() => response.destroy());
  });
  const sockets = new WebSocketServer({ server });
  sockets.on("connection", (socket, request) => {
    seen.push({ method: "UPGRADE", url: request.url ?? "", headers: request.headers });
    socket.send(JSON.stringify({ url: request.url, headers: request.headers }));
    socket.on("message", (data, binary) => socket.send(data, { binary }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    openSockets: () => sockets.clients.size,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
