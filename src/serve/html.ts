/**
 * HTML building blocks. Every value that reaches a page goes through `esc` (text and attributes):
 * peer-chosen strings (AE titles, implementation version names, certificate subjects, product
 * banners) are hostile input. Pages carry no script; the only inline element needing CSP
 * permission is the stylesheet, allowed by a per-response nonce.
 */
import type { UserRecord } from '../store/repository.ts';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an HTML text node or a quoted attribute value. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** Path segment for a URL built from a stored value. */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}

export function num(n: number | null | undefined): string {
  return n === null || n === undefined ? '?' : n.toLocaleString('en-US');
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2430;background:#f5f6f8}
header{background:#1d2430;color:#fff;padding:.5rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header a{color:#cfe0ff;text-decoration:none}header .who{margin-left:auto}
header form{display:inline}main{padding:1rem;max-width:1200px}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}
table{border-collapse:collapse;background:#fff;margin:.5rem 0}
td,th{border:1px solid #d5d9e0;padding:.25rem .5rem;text-align:left;vertical-align:top}
td.n,th.n{text-align:right}
.figures{display:flex;gap:.75rem;flex-wrap:wrap}
.figure{background:#fff;border:1px solid #d5d9e0;padding:.5rem 1rem;min-width:9rem}
.figure .v{font-size:1.6rem;font-weight:600}
.err{color:#a01515;font-weight:600}.note{color:#5a6270}
button{cursor:pointer}
svg{background:#fff;border:1px solid #d5d9e0;max-width:100%;height:auto}
.land{fill:#dfe4ea;stroke:#fff;stroke-width:.3}.graticule{fill:none;stroke:#eef1f4;stroke-width:.5}
.pt{stroke:#1d2430;stroke-width:.6}
.x-retrievable{fill:#8b0000}.x-queryable{fill:#d7301f}.x-writable{fill:#f16913}.x-associable{fill:#fdae6b}
.x-identified{fill:#6baed6}.x-none{fill:#bdbdbd}
.line{fill:none;stroke-width:2}.l1{stroke:#d7301f}.l2{stroke:#3182bd}.axis{stroke:#888;stroke-width:1}
.sev-critical{color:#8b0000;font-weight:600}.sev-high{color:#d7301f;font-weight:600}.sev-medium{color:#e6550d}
.sev-low{color:#3182bd}.sev-info{color:#5a6270}
`;

export interface PageContext {
  readonly nonce: string;
  readonly user: UserRecord | null;
  readonly csrf: string;
  /** Seconds after which the page reloads itself (progress pages); no script needed. */
  readonly refreshSeconds?: number;
}

export function page(title: string, body: string, ctx: PageContext): string {
  const u = ctx.user;
  const nav = u
    ? `<nav><a href="/">Overview</a> · <a href="/scans">Scans</a> · <a href="/diff">Diff</a>${
        u.role !== 'viewer' ? ' · <a href="/scan/new">Start a scan</a>' : ''
      }${u.role === 'admin' ? ' · <a href="/users">Users</a>' : ''} · <a href="/account">Account</a></nav>
<span class="who">${esc(u.name)} (${esc(u.role)})
<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${esc(ctx.csrf)}"><button type="submit" id="logout">Log out</button></form></span>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
${ctx.refreshSeconds ? `<meta http-equiv="refresh" content="${ctx.refreshSeconds}">` : ''}
<title>${esc(title)} · pacsmap</title><style nonce="${esc(ctx.nonce)}">${CSS}</style></head>
<body><header><strong>pacsmap</strong>${nav}</header><main>
<h1>${esc(title)}</h1>
${body}
</main></body></html>`;
}

export function hidden(csrf: string): string {
  return `<input type="hidden" name="_csrf" value="${esc(csrf)}">`;
}

/** A table from header cells and rows of already-escaped HTML cells; `n` marks numeric columns. */
export function table(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: readonly number[] = [],
): string {
  const cls = (i: number): string => (numeric.includes(i) ? ' class="n"' : '');
  return `<table><thead><tr>${head.map((h, i) => `<th${cls(i)}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}
