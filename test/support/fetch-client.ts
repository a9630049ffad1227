// A minimal browser over fetch for tests against real server processes (test/support/server-
// process.ts): keeps cookies and the last CSRF token it saw, never follows redirects. Point `base`
// at another instance to carry the same browser there.
export interface FetchResponse {
  status: number;
  location: string | null;
  headers: Headers;
  body: string;
}

export class FetchClient {
  cookies = new Map<string, string>();
  csrf = "";
  constructor(public base: string) {}

  /** The same browser (a copy of its cookies and CSRF token) talking to `base`. */
  on(base: string): FetchClient {
    const copy = new FetchClient(base);
    copy.cookies = new Map(this.cookies);
    copy.csrf = this.csrf;
    return copy;
  }

  /** A GET, or a form POST (urlencoded, this origin, the last CSRF token) when `form` is given. */
  async send(path: string, form?: Record<string, string>): Promise<FetchResponse> {
    const res = await fetch(this.base + path, {
      method: form ? "POST" : "GET",
      redirect: "manual",
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
        ...(form ? { "content-type": "application/x-www-form-urlencoded", origin: this.base } : {}),
      },
      body: form ? new URLSearchParams({ ...form, _csrf: this.csrf }).toString() : undefined,
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [name, value] = (pair ?? "").split("=");
      if (name) this.cookies.set(name, value ?? "");
    }
    const body = await res.text();
    this.csrf = /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? this.csrf;
    return { status: res.status, location: res.headers.get("location"), headers: res.headers, body };
  }
}
