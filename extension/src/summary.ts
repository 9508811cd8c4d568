/**
 * The sidebar summary: the gate decision, the production version, the last alert and the running job, each a
 * button into its dashboard view. It shows what the routes say and decides nothing itself.
 */
import { Widget } from '@lumino/widgets';

import { IDriftState, IExportState, IRunsState } from './api';
import { badge, h } from './dom';
import { JobWatcher } from './notify';
import { IScorecard } from './products';
import { get } from './request';
import { message } from './view';

/** What the four routes answered (or the error they threw). */
export interface ISummaryAnswers {
  readiness: IScorecard | Error;
  export: IExportState | Error;
  drift: IDriftState | Error;
  runs: IRunsState | Error;
}

/** One line of the summary: the view it opens, its label, its status (a badge class) and its words. */
export interface ISummaryLine {
  view: 'readiness' | 'models' | 'drift' | 'pipeline';
  label: string;
  status: string;
  text: string;
}

const failed = (x: unknown): x is Error => x instanceof Error;

/** A line from one route's answer: its error as an unknown status, else what `read` makes of the answer. */
function line<T>(
  view: ISummaryLine['view'],
  label: string,
  answer: T | Error,
  read: (a: T) => { status: string; text: string }
): ISummaryLine {
  return {
    view,
    label,
    ...(failed(answer)
      ? { status: 'unknown', text: message(answer) }
      : read(answer))
  };
}

/** The four lines, from the routes' answers. */
export function summaryLines(a: ISummaryAnswers): ISummaryLine[] {
  const gate = line('readiness', 'Gate', a.readiness, r => {
    const d = r.scores.gate.decision ?? 'unknown';
    return { status: d, text: d.toUpperCase() };
  });
  const prod = line('models', 'Production', a.export, e => {
    const v = e.registry?.aliases.production ?? null;
    return { status: v ? 'production' : 'unknown', text: v ?? 'none' };
  });
  const alert = line('drift', 'Last alert', a.drift, d => {
    const newest = (d.timeline ?? [])[0];
    return newest &&
      (newest.outcome === 'alert' || newest.outcome === 'rejected')
      ? { status: newest.outcome, text: `${newest.outcome}: ${newest.batch}` }
      : { status: 'ok', text: 'none' };
  });
  const jobs: string[] = [];
  if (!failed(a.runs) && a.runs.running) {
    const live = a.runs.live;
    jobs.push(
      live?.current ? `pipeline: ${live.current}` : 'pipeline: starting'
    );
  }
  if (!failed(a.drift) && a.drift.job) {
    jobs.push(`monitoring ${a.drift.job.batch ?? ''}`.trim());
  }
  if (!failed(a.export) && a.export.job) {
    jobs.push(
      `export ${a.export.job.version ?? ''} ${a.export.job.target ?? ''}`.trim()
    );
  }
  const job = line('pipeline', 'Job', a.runs, () => ({
    status: jobs.length ? 'running' : 'idle',
    text: jobs.length ? jobs.join('; ') : 'idle'
  }));
  return [gate, prod, alert, job];
}

/** The summary's content: a button per line and the "Open dashboard" button. */
export function renderSummary(
  lines: ISummaryLine[],
  open: (view: string | null) => void
): HTMLElement {
  return h(
    'div',
    { class: 'ss-summary-body' },
    h(
      'ul',
      { class: 'ss-summary-lines', 'aria-label': 'Shipshape at a glance' },
      lines.map(l =>
        h(
          'li',
          {},
          h(
            'button',
            {
              class: 'ss-summary-line',
              'data-view': l.view,
              title: `${l.label}: ${l.text} — open ${l.view}`,
              onclick: () => open(l.view)
            },
            h('span', { class: 'ss-summary-label' }, l.label),
            badge(l.status, l.text)
          )
        )
      )
    ),
    h(
      'button',
      {
        class: 'ss-button ss-primary ss-open-dashboard',
        onclick: () => open(null)
      },
      'Open dashboard'
    )
  );
}

/** The left-sidebar summary, polling every `ms` milliseconds while it is visible. */
export class ShipshapeSummary extends Widget {
  private timer: number | null = null;
  private content: HTMLElement;
  private busy = false;

  constructor(
    private open: (view: string | null) => void,
    private watcher: JobWatcher | null = null,
    private ms = 5000
  ) {
    super();
    this.id = 'shipshape-panel';
    this.addClass('ss-panel');
    this.addClass('ss-summary');
    this.content = h(
      'div',
      { class: 'ss-loading', role: 'status' },
      'Loading…'
    );
    this.node.append(
      h('div', { class: 'ss-title' }, h('b', {}, 'Shipshape')),
      this.content
    );
  }

  /** Ask the four routes and render what they say. */
  async refresh(): Promise<void> {
    if (this.busy) {
      return;
    }
    this.busy = true;
    const ask = <T>(route: string) =>
      get<T>(route).catch((e: unknown) =>
        e instanceof Error ? e : new Error(String(e))
      );
    try {
      // One route at a time: two requests that both find a finished job must not race to retire it.
      const readiness = await ask<IScorecard>('readiness');
      const exported = await ask<IExportState>('export');
      const drift = await ask<IDriftState>('drift');
      const runs = await ask<IRunsState>('pipeline/runs');
      if (this.watcher) {
        if (!failed(runs)) {
          this.watcher.pipeline(runs);
        }
        if (!failed(drift)) {
          this.watcher.drift(drift);
        }
      }
      const body = renderSummary(
        summaryLines({ readiness, export: exported, drift, runs }),
        this.open
      );
      const focused = (document.activeElement as HTMLElement | null)?.closest?.(
        '.ss-summary button'
      );
      const key = focused
        ? (focused.getAttribute('data-view') ?? 'dashboard')
        : null;
      this.content.replaceWith(body);
      this.content = body;
      if (key && this.node.contains(body)) {
        (
          body.querySelector<HTMLElement>(`[data-view='${key}']`) ??
          body.querySelector<HTMLElement>('.ss-open-dashboard')
        )?.focus();
      }
    } finally {
      this.busy = false;
    }
  }

  protected onAfterShow(): void {
    void this.refresh();
    if (this.timer === null) {
      this.timer = window.setInterval(() => void this.refresh(), this.ms);
    }
  }

  protected onAfterHide(): void {
    if (this.timer !== null) {
      window.clearInterval(this.timer);
      this.timer = null;
    }
  }

  dispose(): void {
    this.onAfterHide();
    super.dispose();
  }
}
