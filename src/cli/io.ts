// Terminal input and output for the commands: one line from stdin (a pipe or a prompt), a
// password prompt without echo, aligned tables, JSON, times.

/** The first line of stdin without its line ending, or null at end of input with nothing read. */
export function readLine(input: NodeJS.ReadStream = process.stdin): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const finish = (line: string | null) => {
      input.off("data", onData).off("end", onEnd).off("error", onError);
      // Paused, stdin no longer keeps the process alive once the command is done.
      input.pause();
      resolve(line === null ? null : line.replace(/\r$/, ""));
    };
    const onData = (chunk: string) => {
      buffered += chunk;
      const end = buffered.indexOf("\n");
      if (end >= 0) finish(buffered.slice(0, end));
    };
    const onEnd = () => finish(buffered === "" ? null : buffered);
    const onError = (error: Error) => {
      input.off("data", onData).off("end", onEnd);
      reject(error);
    };
    input.setEncoding("utf8");
    input.on("data", onData).once("end", onEnd).once("error", onError);
    input.resume();
  });
}

/** Resolves when stdin ends (closed by the other side); used by the rotation test hook. */
export function waitForEndOfInput(input: NodeJS.ReadStream = process.stdin): Promise<void> {
  return new Promise((resolve) => {
    input.once("end", resolve).once("close", resolve).resume();
  });
}

/** Asks on stderr (stdout may be redirected) and reads a line the terminal does not echo. */
export function promptHidden(question: string, input: NodeJS.ReadStream = process.stdin): Promise<string | null> {
  return new Promise((resolve) => {
    let typed = "";
    const finish = (value: string | null) => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write("\n");
      resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") return finish(typed);
        if (char === "\u0003" || char === "\u0004") return finish(null); // Ctrl-C, Ctrl-D
        if (char === "\u007f" || char === "\b") typed = [...typed].slice(0, -1).join("");
        else typed += char;
      }
    };
    input.setEncoding("utf8");
    input.setRawMode(true); // before the question, so nothing typed after it is echoed
    process.stderr.write(question);
    input.on("data", onData);
    input.resume();
  });
}

export function writeOut(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** "1 session", "3 sessions", "no sessions". */
export function countOf(n: number, noun: string): string {
  return `${n === 0 ? "no" : n} ${noun}${n === 1 ? "" : "s"}`;
}

export function writeJSON(value: unknown): void {
  writeOut(JSON.stringify(value, null, 2));
}

/** Columns padded to the widest cell; the last column is not padded. */
export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? "").length)));
  return all
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** UTC to the second, e.g. 2025-11-28 16:57:03Z: sorts as text and reads the same everywhere. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")}Z`;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
