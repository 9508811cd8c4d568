import { IEnv, fileLink } from './context';
import { badge, fmt, h, when } from './dom';
import { get, ApiError } from './request';
import { View, message } from './view';

export interface IHistogram {
  edges?: number[];
  categories?: string[];
  labels?: string[];
  bins?: (string | number)[];
  reference: number[];
  current: number[];
}

export interface IColumnDrift {
  column?: string;
  name?: string;
  severity?: string | number;
  drifted?: boolean;
  histogram?: IHistogram;
  [k: string]: unknown;
}

export interface IDriftState {
  report?: { [k: string]: any } | null;
  path?: string;
  batches: string[];
  job: { [k: string]: any } | null;
  last_job: { [k: string]: any } | null;
  message?: string;
}

const SEVERITY = [
  'critical',
  'high',
  'alert',
  'fail',
  'moderate',
  'medium',
  'warn',
  'warning',
  'watch',
  'low',
  'none',
  'ok',
  'pass',
  'n/a'
];

function sevRank(s: unknown): number {
  if (typeof s === 'number') {
    return -s;
  }
  const i = SEVERITY.indexOf(String(s ?? 'none').toLowerCase());
  return i < 0 ? SEVERITY.length : i - SEVERITY.length;
}

/** The per-column entries of a monitoring report, most severe first. */
export function driftColumns(report: { [k: string]: any }): IColumnDrift[] {
  const raw =
    report?.drift?.columns ??
    report?.columns ??
    report?.drift?.features ??
    report?.features ??
    [];
  const cols: IColumnDrift[] = Array.isArray(raw)
    ? raw
    : Object.entries(raw).map(([column, v]) => ({ column, ...(v as object) }));
  return [...cols].sort(
    (a, b) =>
      sevRank(a.severity) - sevRank(b.severity) ||
      Number(!!b.drifted) - Number(!!a.drifted)
  );
}

/** The per-column figures shown in the table, when the report has them. */
const KEYS = ['kind', 'method', 'statistic', 'threshold', 'p_value'];

/** The reference and current distributions of one column, as side-by-side bars (shares of rows). */
export function renderHistogram(name: string, hist: IHistogram): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const n = Math.max(hist.reference.length, hist.current.length);
  const share = (xs: number[]) => {
    const t = xs.reduce((a, b) => a + b, 0) || 1;
    return xs.map(x => x / t);
  };
  const ref = share(hist.reference);
  const cur = share(hist.current);
  const labels =
    hist.categories ??
    hist.labels ??
    hist.bins?.map(String) ??
    (hist.edges
      ? hist.edges
          .slice(0, -1)
          .map((e, i) => `${fmt(e)}–${fmt(hist.edges![i + 1])}`)
      : ref.map((_, i) => String(i)));
  const W = 300;
  const H = 120;
  const top = Math.max(...ref, ...cur, 1e-9);
  const bw = W / Math.max(n, 1);
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H + 14}`);
  svg.setAttribute('class', 'ss-hist');
  svg.setAttribute('data-column', name);
  const rect = (x: number, v: number, cls: string, label: string) => {
    const r = document.createElementNS(ns, 'rect');
    const hh = (v / top) * H;
    r.setAttribute('x', String(x));
    r.setAttribute('y', String(H - hh));
    r.setAttribute('width', String(Math.max(bw / 2 - 1, 1)));
    r.setAttribute('height', String(hh));
    r.setAttribute('class', cls);
    const t = document.createElementNS(ns, 'title');
    t.textContent = label;
    r.append(t);
    svg.append(r);
  };
  for (let i = 0; i < n; i++) {
    rect(
      i * bw,
      ref[i] ?? 0,
      'ss-ref',
      `${labels[i]}: reference ${fmt((ref[i] ?? 0) * 100)} %`
    );
    rect(
      i * bw + bw / 2,
      cur[i] ?? 0,
      'ss-cur',
      `${labels[i]}: current ${fmt((cur[i] ?? 0) * 100)} %`
    );
  }
  const lab = document.createElementNS(ns, 'text');
  lab.setAttribute('x', '0');
  lab.setAttribute('y', String(H + 12));
  lab.setAttribute('class', 'ss-hist-label');
  lab.textContent = `${labels[0] ?? ''} … ${labels[labels.length - 1] ?? ''}`;
  svg.append(lab);
  return svg;
}

export interface IDriftActions {
  select(column: string): void;
  selected: string | null;
  run(batch: string): void;
  notice?: HTMLElement | null;
}

/** The batch chooser, the Run button and the monitoring job's progress. */
export function renderRunner(
  state: IDriftState,
  env: IEnv,
  actions: IDriftActions
): HTMLElement {
  const input = h('input', {
    type: 'text',
    class: 'ss-batch',
    list: 'ss-batches',
    placeholder: 'data/incoming/batch.csv',
    value: state.batches[0] ?? ''
  });
  const job = state.job;
  const last = state.last_job;
  return h(
    'div',
    { class: 'ss-runner' },
    h(
      'datalist',
      { id: 'ss-batches' },
      state.batches.map(b => h('option', { value: b }))
    ),
    h('label', {}, 'Batch file ', input),
    h(
      'button',
      {
        class: 'ss-button ss-primary ss-monitor-button',
        disabled: !!job,
        onclick: () => actions.run(input.value)
      },
      job ? 'Monitoring…' : 'Run monitoring'
    ),
    job
      ? h(
          'div',
          { class: 'ss-progress' },
          h('progress', {}),
          ` monitoring ${job.batch ?? ''} since ${when(job.started_at)} · `,
          fileLink(env, job.log, 'log')
        )
      : null,
    !job && last && last.returncode
      ? h(
          'div',
          { class: 'ss-error' },
          `The last monitoring job (${last.batch}) failed with exit code ${last.returncode}: `,
          h('pre', {}, last.log_tail ?? ''),
          fileLink(env, last.log, 'log')
        )
      : null,
    !job && last && last.returncode === 0
      ? h(
          'div',
          { class: 'ss-muted ss-last-job' },
          `The last monitoring job (${last.batch}) finished at ${when(last.finished_at)} · `,
          fileLink(env, last.log, 'log')
        )
      : null,
    actions.notice ?? null
  );
}

/** The Drift view: the latest report's per-column table, most severe first, and the selected column's distributions. */
export function renderDrift(
  state: IDriftState,
  env: IEnv,
  actions: IDriftActions
): HTMLElement {
  const report = state.report;
  if (!report) {
    return h(
      'div',
      { class: 'ss-drift' },
      h(
        'div',
        { class: 'ss-notice' },
        state.message ?? 'No monitoring report exists yet.'
      ),
      renderRunner(state, env, actions)
    );
  }
  const cols = driftColumns(report);
  const sel =
    cols.find(c => (c.column ?? c.name) === actions.selected) ?? cols[0];
  const keys = KEYS.filter(k => cols.some(c => c[k] !== undefined));
  const health = report.health ?? report.batch_health ?? null;
  return h(
    'div',
    { class: 'ss-drift' },
    h(
      'div',
      { class: 'ss-header' },
      h(
        'div',
        {},
        'Batch: ',
        h('b', {}, String(report.batch ?? report.file ?? '?')),
        ' · ',
        when(report.processed_at ?? report.at ?? report.created_at)
      ),
      health
        ? h(
            'div',
            { class: 'ss-muted' },
            Object.entries(health)
              .filter(([, v]) => typeof v !== 'object')
              .map(([k, v]) => `${k}: ${fmt(v)}`)
              .join(' · ')
          )
        : null,
      h(
        'div',
        {},
        `${cols.filter(c => c.drifted).length} of ${cols.length} feature(s) drifted`
      ),
      state.path ? fileLink(env, state.path, 'report file') : null
    ),
    renderRunner(state, env, actions),
    h(
      'table',
      { class: 'ss-table ss-drift-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'feature'),
          h('th', {}, 'severity'),
          keys.map(k => h('th', {}, k))
        )
      ),
      h(
        'tbody',
        {},
        cols.map(c => {
          const name = String(c.column ?? c.name);
          return h(
            'tr',
            {
              class: `ss-drift-row${c === sel ? ' ss-selected' : ''}`,
              'data-column': name,
              onclick: () => actions.select(name)
            },
            h('td', {}, name),
            h(
              'td',
              {},
              badge(
                c.drifted ? 'drift' : 'ok',
                fmt(c.severity ?? (c.drifted ? 'drift' : 'none'))
              )
            ),
            keys.map(k => h('td', {}, fmt(c[k])))
          );
        })
      )
    ),
    sel && sel.histogram
      ? h(
          'div',
          { class: 'ss-hist-box' },
          h(
            'div',
            {},
            h('b', {}, String(sel.column ?? sel.name)),
            ': ',
            h('span', { class: 'ss-key-ref' }, '■ reference'),
            ' ',
            h('span', { class: 'ss-key-cur' }, '■ current')
          ),
          renderHistogram(String(sel.column ?? sel.name), sel.histogram),
          sel.reason
            ? h('div', { class: 'ss-muted' }, String(sel.reason))
            : null
        )
      : sel
        ? h(
            'div',
            { class: 'ss-muted' },
            'No histogram for this feature in the report.'
          )
        : null
  );
}

/** The Drift view, polling while a monitoring job runs. */
export class DriftView extends View {
  private state: IDriftState | null = null;
  private selected: string | null = null;

  constructor(env: IEnv) {
    super(env, 'Drift');
  }

  async load(): Promise<void> {
    try {
      this.state = await get<IDriftState>('drift');
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && err.body.batches) {
        this.state = { ...err.body, report: null, message: message(err) };
      } else {
        return this.showError(err);
      }
    }
    const st = this.state as IDriftState;
    if (st.job && !this.polling) {
      this.poll(() => this.load());
    } else if (!st.job && this.polling) {
      this.stopPolling();
    }
    this.render();
  }

  async run(batch: string): Promise<void> {
    return (await this.send('drift/run', { batch })) === null
      ? this.render()
      : this.load();
  }

  private render(): void {
    if (this.state) {
      this.show(
        renderDrift(this.state, this.env, {
          select: c => {
            this.selected = c;
            this.render();
          },
          selected: this.selected,
          run: b => void this.run(b),
          notice: this.notice
        })
      );
    }
  }
}
