/**
 * HTML escaping for the reports. Every string that reaches a page passes `esc`: peer-controlled
 * text (AE titles, implementation version names, certificate subjects, product names) may hold
 * markup, quotes or control characters. Control and bidirectional-override characters become
 * U+FFFD so that a value cannot disguise itself on screen.
 */
const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

// C0/C1 controls except tab and newline, and the bidi embedding/override/isolate characters.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function esc(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  return String(value)
    .replace(UNSAFE, '\uFFFD')
    .replace(/[&<>"'`]/g, (c) => ENTITIES[c] ?? c);
}

/** A tagged template (named so that formatters leave it alone) that escapes every interpolated value unless it is already `Html`. */
export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

export type HtmlValue = Html | string | number | null | undefined | readonly HtmlValue[];

function render(v: HtmlValue): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return (v as readonly HtmlValue[]).map(render).join('');
  return esc(v as string | number | null | undefined);
}

export function markup(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Joins already-safe fragments. */
export function join(parts: readonly Html[], sep = ''): Html {
  return new Html(parts.map((p) => p.text).join(sep));
}
