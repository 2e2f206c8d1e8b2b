/**
 * The page shell: one self-contained HTML document. The style is inline and allowed by its hash;
 * the Content-Security-Policy forbids every fetch (no script, image, font, frame or connection).
 */
import { createHash } from 'node:crypto';
import { markup, type Html } from './escape.ts';

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232a;margin:0;background:#fafbfc}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d5dbe1;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.meta{color:#5b6570;font-size:13px}
.headline{font-size:22px;font-weight:600;margin:16px 0;padding:14px 16px;background:#fff4f2;border-left:5px solid #c0392b}
.headline.ok{background:#f1f8f1;border-left-color:#2e7d32}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{background:#fff;border:1px solid #d5dbe1;border-radius:6px;padding:8px 12px;min-width:120px}
.card b{display:block;font-size:20px}
table{border-collapse:collapse;width:100%;background:#fff;margin:6px 0 12px}
th,td{border:1px solid #d5dbe1;padding:4px 7px;text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.sev-critical{color:#fff;background:#8e1b10}.sev-high{color:#fff;background:#c0392b}
.sev-medium{background:#f5c26b}.sev-low{background:#dfe9f3}.sev-info{background:#eef1f4}
.badge{padding:1px 6px;border-radius:3px;font-size:12px;white-space:nowrap}
.map{width:100%;height:auto;border:1px solid #d5dbe1;background:#fff}
.legend{margin-right:14px;font-size:12px;white-space:nowrap}
.worse,.new{color:#b03a2e;font-weight:600}.fixed,.better{color:#2e7d32;font-weight:600}
.note{color:#5b6570;font-size:12px}
code{font-size:12px}
li.ref{font-family:monospace;font-size:12px}
@media print{main{max-width:none;padding:0}h2{break-after:avoid}table{break-inside:auto}tr{break-inside:avoid}}
`;

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** The Content-Security-Policy of every report page. */
export const REPORT_CSP = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src 'none'; script-src 'none'; font-src 'none'; connect-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'`;

export function page(title: string, body: Html): string {
  // Assembled as text: the <style> content must stay byte-identical to what the CSP hash covers.
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    markup`<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`.text,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    markup`<title>${title}</title>`.text,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body><main>',
    body.text,
    '<p class="note">Made by pacsmap from its own store. Counts only: no patient name, ID, date or other value is ever kept or shown. Patient, study and image figures are sums over archives (a patient held by two archives counts twice); "at least" marks archives that cut their answers short.</p>',
    '</main></body>',
    '</html>',
    '',
  ].join('\n');
}
