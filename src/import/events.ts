/** What every discovery-output parser produces, record by record, as it streams through a file. */

export type DiscoveryEvent =
  /** An open TCP port, as the tool printed it (not yet canonicalised or scope-checked). */
  | { readonly kind: 'open'; readonly address: string; readonly port: number; readonly line: number }
  /** A record that is not an open TCP port (closed, UDP, banner, host down, end marker...). */
  | { readonly kind: 'ignored'; readonly line: number; readonly what: string }
  /** A record that could not be read; the import goes on. */
  | { readonly kind: 'problem'; readonly line: number; readonly message: string };

export type Chunks = AsyncIterable<string> | Iterable<string>;

/** Splits a stream of text chunks into lines (LF or CRLF), numbered from 1; a BOM is dropped. */
export async function* linesOf(chunks: Chunks): AsyncGenerator<{ readonly text: string; readonly line: number }> {
  let rest = '';
  let line = 0;
  let first = true;
  for await (let chunk of chunks) {
    if (first) {
      chunk = chunk.replace(/^\uFEFF/, '');
      first = false;
    }
    rest += chunk;
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      line++;
      yield { text: rest.slice(0, rest[nl - 1] === '\r' ? nl - 1 : nl), line };
      rest = rest.slice(nl + 1);
      nl = rest.indexOf('\n');
    }
  }
  if (rest !== '') yield { text: rest.replace(/\r$/, ''), line: line + 1 };
}
