/**
 * A few DOM helpers: the panel is plain DOM inside Lumino widgets.
 */
export type Child = Node | string | number | null | undefined | false | Child[];

/** Create an element with attributes (`class`, `on<event>` listeners, properties) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: { [key: string]: any } = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) {
      continue;
    }
    if (k === 'class') {
      el.className = v;
    } else if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'value' || (k in el && typeof v !== 'string')) {
      (el as any)[k] = v;
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el: HTMLElement, children: Child[]): void {
  for (const c of children) {
    if (Array.isArray(c)) {
      append(el, c);
    } else if (c !== null && c !== undefined && c !== false) {
      el.append(typeof c === 'number' ? String(c) : c);
    }
  }
}

/** A value for display: numbers to 4 significant digits, missing as a dash. */
export function fmt(v: unknown): string {
  if (v === null || v === undefined || v === '') {
    return '—';
  }
  if (typeof v === 'number') {
    return Number.isInteger(v)
      ? String(v)
      : Number(v.toPrecision(4)).toString();
  }
  if (typeof v === 'boolean') {
    return v ? 'yes' : 'no';
  }
  if (typeof v === 'object') {
    return JSON.stringify(v);
  }
  return String(v);
}

/** A coloured status label. */
export function badge(status: string, text?: string): HTMLElement {
  const s = String(status || 'unknown').toLowerCase();
  return h(
    'span',
    { class: `ss-badge ss-b-${s.replace(/[^a-z0-9]+/g, '-')}` },
    text ?? s
  );
}

/** A time stamp shortened for tables. */
export function when(iso: string | null | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\+00:00$/, ' UTC') : '—';
}

/** A duration in seconds as text. */
export function seconds(s: number | null | undefined): string {
  if (s === null || s === undefined) {
    return '—';
  }
  return s < 90 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;
}

/** Text that may run long: folded behind its first words when it does. */
export function longText(
  text: string,
  cls = 'ss-muted',
  max = 160
): HTMLElement {
  if (text.length <= max) {
    return h('div', { class: cls }, text);
  }
  return h(
    'details',
    { class: cls },
    h('summary', {}, `${text.slice(0, max - 40)}…`),
    text
  );
}
