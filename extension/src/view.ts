import { IEnv } from './context';
import { Child, h } from './dom';
import { ApiError, DATA_MARK, post } from './request';

/** One of the panel's views: loads its data from the server and renders it into `node`. */
export abstract class View {
  readonly node: HTMLElement;
  /** The outcome of the last action (a success line or an error box), shown by the view's render. */
  protected notice: HTMLElement | null = null;
  private _timer: number | null = null;

  constructor(
    protected env: IEnv,
    readonly title: string
  ) {
    this.node = h(
      'div',
      { class: `ss-view ss-view-${title.toLowerCase()}` },
      loadingLine(title)
    );
    // What the person typed or chose, by control: kept across the re-renders of a poll.
    const mark = (e: Event) => {
      const k = controlKey(e.target as Element);
      if (k) {
        this.dirty.add(k);
      }
    };
    this.node.addEventListener('input', mark);
    this.node.addEventListener('change', mark);
  }

  /** The keys (`controlKey`) of the form controls the person changed since the last successful action. */
  private dirty = new Set<string>();

  /** Whether the view has rendered data yet (else it shows its loading line). */
  get loaded(): boolean {
    return !this.node.querySelector(':scope > .ss-loading');
  }

  /** Fetch and render. */
  abstract load(): Promise<void>;

  /** Replace the view's content. */
  protected show(...children: Child[]): void {
    const kept = new Map<string, { value: string; checked: boolean }>();
    let focus: {
      key: string;
      start: number | null;
      end: number | null;
    } | null = null;
    for (const el of controls(this.node)) {
      const k = controlKey(el);
      if (k && this.dirty.has(k)) {
        kept.set(k, {
          value: el.value,
          checked: el instanceof HTMLInputElement && el.checked
        });
      }
      if (k && el === document.activeElement) {
        const text = el instanceof HTMLSelectElement ? null : el;
        focus = {
          key: k,
          start: text ? safe(() => text.selectionStart) : null,
          end: text ? safe(() => text.selectionEnd) : null
        };
      }
    }
    this.node.replaceChildren(h('div', {}, children));
    this.measureRender();
    for (const el of controls(this.node)) {
      const k = controlKey(el);
      const v = k ? kept.get(k) : undefined;
      if (v) {
        if (el instanceof HTMLInputElement && el.type === 'checkbox') {
          el.checked = v.checked;
        } else {
          el.value = v.value;
        }
        // let the view's own listeners (e.g. the override reason enabling Promote) see the kept value
        el.dispatchEvent(new Event('input'));
      }
      if (focus && k === focus.key) {
        el.focus();
        if (!(el instanceof HTMLSelectElement) && focus.start !== null) {
          safe(() => el.setSelectionRange(focus!.start, focus!.end));
        }
      }
    }
  }

  /** When this view last rendered (performance.now()). */
  private _shown = -1;

  /**
   * The performance measure `shipshape:render:<view>`: from the newest data arrival (`shipshape:data`, a GET's answer)
   * since this view last rendered to its DOM replaced, and `shipshape:paint:<view>` to the frame after it; none when the
   * view re-renders without new data. benchmarks/render_bench.py reads these.
   */
  private measureRender(): void {
    if (typeof performance === 'undefined' || !performance.measure) {
      return;
    }
    const marks = performance.getEntriesByName(DATA_MARK, 'mark');
    const start = marks.length ? marks[marks.length - 1].startTime : -1;
    const name = `shipshape:render:${this.title.toLowerCase()}`;
    const paint = `shipshape:paint:${this.title.toLowerCase()}`;
    if (start > this._shown) {
      if (performance.getEntriesByName(name, 'measure').length >= 500) {
        performance.clearMeasures(name); // kept bounded while views poll
        performance.clearMeasures(paint);
      }
      performance.measure(name, { start });
      // and to the frame after it: style, layout and paint included
      if (typeof requestAnimationFrame === 'function') {
        requestAnimationFrame(() =>
          setTimeout(() => performance.measure(paint, { start }))
        );
      }
    }
    this._shown = performance.now();
  }

  /** Render an error from the server (or the network) with a retry button. */
  protected showError(err: unknown, more: Child = null): void {
    this.show(
      errorBox(err, () => void this.load()),
      more
    );
  }

  /** POST `body` to `route`; the outcome becomes the notice: `done(reply)` as a success line if given, else none; the error box on failure (then `null`). */
  protected async send<T>(
    route: string,
    body: object,
    done?: (reply: T) => string
  ): Promise<T | null> {
    try {
      const reply = await post<T>(route, body);
      this.dirty.clear(); // what was typed is now saved (or used): show what the server holds
      this.notice = done
        ? h('div', { class: 'ss-ok', role: 'status' }, done(reply))
        : null;
      return reply;
    } catch (err) {
      this.notice = errorBox(err);
      return null;
    }
  }

  /** Call `fn` every `ms` milliseconds until `stopPolling`. */
  protected poll(fn: () => Promise<void>, ms = 2000): void {
    this.stopPolling();
    this._timer = window.setInterval(() => void fn(), ms);
  }

  protected stopPolling(): void {
    if (this._timer !== null) {
      window.clearInterval(this._timer);
      this._timer = null;
    }
  }

  get polling(): boolean {
    return this._timer !== null;
  }

  dispose(): void {
    this.stopPolling();
  }
}

type Control = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

function controls(root: HTMLElement): Control[] {
  return Array.from(root.querySelectorAll<Control>('input, textarea, select'));
}

function safe<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

/**
 * A form control's identity across re-renders: its class, its `data-key` and the item, version or target it
 * belongs to (the nearest `data-item`, `data-version` or `data-target`).
 */
export function controlKey(el: Element | null): string | null {
  if (
    !el ||
    !(
      el instanceof HTMLInputElement ||
      el instanceof HTMLTextAreaElement ||
      el instanceof HTMLSelectElement
    )
  ) {
    return null;
  }
  const owner = el.closest('[data-item], [data-version], [data-target]');
  const of = owner
    ? ['item', 'version', 'target']
        .map(a => owner.getAttribute(`data-${a}`))
        .find(x => x !== null)
    : '';
  return `${el.tagName}.${el.className}|${el.getAttribute('data-key') ?? ''}|${of ?? ''}`;
}

/** The line a view shows while its first GET is in flight. */
export function loadingLine(title: string): HTMLElement {
  return h(
    'div',
    { class: 'ss-loading', role: 'status', 'aria-live': 'polite' },
    h('span', { class: 'ss-spinner', 'aria-hidden': 'true' }),
    ` Loading ${title.toLowerCase()}…`
  );
}

/** The message of an error, whatever threw it. */
export function message(err: unknown): string {
  if (err instanceof ApiError) {
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** An error box; "no scorecard yet" (404) reads as a notice, not a failure. */
export function errorBox(err: unknown, retry?: () => void): HTMLElement {
  const status = err instanceof ApiError ? err.status : 0;
  const notice = status === 404;
  return h(
    'div',
    { class: notice ? 'ss-notice' : 'ss-error', role: 'alert' },
    h('span', {}, message(err)),
    retry
      ? h('button', { class: 'ss-button ss-small', onclick: retry }, 'Retry')
      : null
  );
}
