import { IEnv } from './context';
import { Child, h } from './dom';
import { ApiError, post } from './request';

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
    this.node = h('div', { class: `ss-view ss-view-${title.toLowerCase()}` });
  }

  /** Fetch and render. */
  abstract load(): Promise<void>;

  /** Replace the view's content. */
  protected show(...children: Child[]): void {
    this.node.replaceChildren(h('div', {}, children));
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
