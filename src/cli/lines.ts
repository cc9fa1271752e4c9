/**
 * Splits a byte stream into lines without decoding it (values stay bytes; "\r\n" and "\n" both
 * end a line; a last line without a newline still counts). Reports bytes read for progress bars.
 */
export async function* readLines(stream: AsyncIterable<Buffer | string>, onBytes?: (n: number) => void): AsyncGenerator<Buffer> {
  let rest: Buffer | null = null;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    onBytes?.(buf.length);
    let data: Buffer = rest ? Buffer.concat([rest, buf]) : buf;
    let start = 0;
    for (;;) {
      const nl = data.indexOf(10, start);
      if (nl < 0) break;
      const end = nl > start && data[nl - 1] === 13 ? nl - 1 : nl;
      yield data.subarray(start, end);
      start = nl + 1;
    }
    data = data.subarray(start);
    rest = data.length > 0 ? Buffer.from(data) : null;
  }
  if (rest && rest.length > 0) yield rest;
}

/** Splits `line` at the first `sep`; null when it does not occur. */
export function splitOnce(line: Buffer, sep: Buffer): [Buffer, Buffer] | null {
  const i = line.indexOf(sep);
  return i < 0 ? null : [line.subarray(0, i), line.subarray(i + sep.length)];
}

/** Turns "\t", "\n", "\\" in a separator given on the command line into the characters. */
export function unescapeSeparator(s: string): string {
  return s.replace(/\\(t|n|r|\\)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' })[c]!);
}
