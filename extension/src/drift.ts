import {
  IDriftState,
  IEstimateView,
  IFeatureTrend,
  ITimelineEntry
} from './api';
import { IEnv, fileLink } from './context';
import { badge, fmt, h, when } from './dom';
import { alertWords, exitWords, outcomeBox } from './outcome';
import { IColumnDrift, IHistogram, ILatestDrift } from './products';
import { get } from './request';
import { View } from './view';

export { IDriftState };

const METRIC_NAMES: { [metric: string]: string } = {
  roc_auc: 'ROC AUC',
  accuracy: 'accuracy',
  precision: 'precision',
  recall: 'recall',
  f1: 'F1'
};

/** A metric's name in words: `roc_auc` → `ROC AUC`. */
export function metricName(metric: string | undefined): string {
  return METRIC_NAMES[metric ?? ''] ?? metric ?? 'metric';
}

const num = (v: number | null | undefined): string =>
  v === null || v === undefined ? '—' : v.toFixed(2);

/** "est. ROC AUC 0.91 [0.89–0.93]", "estimate refused: <reasons>" or "no estimate: <why>". */
export function estimateWords(e: IEstimateView | null): string {
  if (!e) {
    return 'no estimate: the batch has no drift report';
  }
  if (e.status === 'estimated') {
    return `est. ${metricName(e.metric)} ${num(e.estimate)} [${num(e.low)}–${num(e.high)}]`;
  }
  if (e.status === 'refused') {
    return `estimate refused: ${(e.reasons ?? []).join('; ') || 'no reason recorded'}`;
  }
  return `no estimate: ${e.reason ?? 'no reason recorded'}`;
}

/** The drift signals that fired on a batch, in words (the estimated drop apart: a model alert of its own). */
function driftSignals(signals: { [signal: string]: boolean }): string[] {
  return ['data', 'prediction', 'concept']
    .filter(k => signals[k])
    .map(k => `${k} drift`);
}

/** The batch timeline: per batch its verdict, its estimated performance (or refusal, or why none) and the realised value. */
export function renderTimeline(
  timeline: ITimelineEntry[] | undefined,
  env: IEnv
): HTMLElement {
  const rows = timeline ?? [];
  return h(
    'div',
    { class: 'ss-timeline' },
    h('h3', {}, 'Batch timeline'),
    rows.length
      ? h(
          'ol',
          { class: 'ss-timeline-list' },
          rows.map(r => timelineRow(r, env))
        )
      : h(
          'div',
          { class: 'ss-muted' },
          'No batch has been taken by the monitoring job yet.'
        )
  );
}

/** An amber drift badge ("alert: data drift, prediction drift"), apart from the outcome badge. */
function driftBadge(drift: string[]): HTMLElement {
  const b = badge('alert', `alert: ${drift.join(', ')}`);
  b.classList.add('ss-tl-drift');
  return b;
}

function timelineRow(r: ITimelineEntry, env: IEnv): HTMLElement {
  const e = r.estimate;
  const drop = !!(e && e.status === 'estimated' && e.drop);
  const drift = driftSignals(r.signals ?? {});
  return h(
    'li',
    {
      class: `ss-tl-batch ss-tl-${e?.status ?? 'none'}${drop ? ' ss-tl-drop' : ''}`,
      'data-batch': r.batch
    },
    h(
      'div',
      { class: 'ss-tl-head' },
      h('b', {}, r.batch),
      ' ',
      badge(r.outcome ?? 'unknown', r.outcome ?? 'not checked'),
      drift.length ? [' ', driftBadge(drift)] : null,
      drop ? [' ', badge('estimated-drop', 'estimated performance drop')] : null
    ),
    h(
      'div',
      { class: 'ss-tl-estimate' },
      h('span', { class: 'ss-tl-est' }, estimateWords(e)),
      e &&
        e.status === 'estimated' &&
        e.baseline !== null &&
        e.baseline !== undefined
        ? h(
            'span',
            { class: 'ss-muted' },
            ` · production's test value ${num(e.baseline)}`
          )
        : null,
      e && e.realised !== null && e.realised !== undefined
        ? h(
            'span',
            { class: 'ss-tl-realised' },
            ` · realised ${metricName(e.metric)} ${num(e.realised)}`
          )
        : null
    ),
    h(
      'div',
      { class: 'ss-muted' },
      r.checked_at
        ? `checked ${when(r.checked_at)}${r.model_version ? ` against ${r.model_version}` : ''}`
        : `taken ${when(r.processed_at)}`,
      r.labelled ? ' · labelled' : ' · no labels',
      r.report ? [' · ', fileLink(env, r.report, 'batch report')] : null
    )
  );
}

/** The severities, worst first. */
const SEVERITY: IColumnDrift['severity'][] = [
  'high',
  'moderate',
  'watch',
  'none',
  'n/a'
];

/** Each severity's symbol in a trend cell: the colour is never the only sign. */
export const SEVERITY_SIGN: { [severity: string]: string } = {
  high: 'H',
  moderate: 'M',
  watch: 'W',
  none: '·',
  'n/a': '–'
};

/** One trend cell's words (its title and accessible label): the feature, the batch and the deciding test against its threshold. */
export function trendWords(
  feature: string,
  batch: string,
  f: IFeatureTrend | undefined
): string {
  if (!f) {
    return `${feature} · ${batch}: no drift report for this batch`;
  }
  const test =
    f.score !== null && f.statistic !== null
      ? ` (${f.method} ${fmt(f.statistic)} vs threshold ${fmt(f.threshold)}, score ${fmt(f.score)})`
      : ' (not compared)';
  return `${feature} · ${batch}: ${f.severity}${test}`;
}

/** The trend's features, most drifted first: in how many batches each drifted, its worst severity, its top score, its name. */
export function trendOrder(rows: ITimelineEntry[]): string[] {
  const seen = new Map<string, { n: number; worst: number; top: number }>();
  for (const r of rows) {
    for (const [c, f] of Object.entries(r.features ?? {})) {
      const s = seen.get(c) ?? { n: 0, worst: SEVERITY.length, top: -1 };
      seen.set(c, {
        n: s.n + Number(f.drifted),
        worst: Math.min(s.worst, SEVERITY.indexOf(f.severity)),
        top: Math.max(s.top, f.score ?? -1)
      });
    }
  }
  return [...seen.keys()].sort((a, b) => {
    const x = seen.get(a)!;
    const y = seen.get(b)!;
    return (
      y.n - x.n || x.worst - y.worst || y.top - x.top || a.localeCompare(b)
    );
  });
}

/** Feature trends: one row per feature, one cell per batch (oldest → newest), each cell its severity's colour and sign. */
export function renderTrends(
  timeline: ITimelineEntry[] | undefined
): HTMLElement | null {
  const rows = [...(timeline ?? [])].reverse(); // oldest first
  const features = trendOrder(rows);
  if (!features.length) {
    return null;
  }
  const left = rows[0]?.features_left_out ?? 0;
  return h(
    'div',
    { class: 'ss-trends' },
    h('h3', {}, 'Feature trends'),
    h(
      'div',
      { class: 'ss-muted ss-trend-legend' },
      `${rows.length} batch(es), oldest → newest (each column's title names its batch) · `,
      SEVERITY.map(sev => [
        h(
          'span',
          { class: `ss-sev ss-sev-${sev === 'n/a' ? 'na' : sev}` },
          SEVERITY_SIGN[sev]
        ),
        ` ${sev} `
      ]),
      left
        ? ` · ${left} more feature(s) left out: no drift in any batch and lower scores`
        : ''
    ),
    h(
      'table',
      {
        class: 'ss-table ss-trend-table',
        style: `--ss-batches: ${rows.length}`
      },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { class: 'ss-trend-feature', scope: 'col' }, 'feature'),
          rows.map((r, i) =>
            h(
              'th',
              { scope: 'col', title: r.batch, 'aria-label': r.batch },
              String(i + 1)
            )
          )
        )
      ),
      h(
        'tbody',
        {},
        features.map(c =>
          h(
            'tr',
            { 'data-feature': c },
            h('th', { class: 'ss-trend-feature', scope: 'row', title: c }, c),
            rows.map(r => {
              const f = r.features?.[c];
              const words = trendWords(c, r.batch, f);
              return h(
                'td',
                {
                  class: `ss-sev ss-sev-${f ? (f.severity === 'n/a' ? 'na' : f.severity) : 'missing'}`,
                  'data-batch': r.batch,
                  title: words,
                  'aria-label': words
                },
                f ? SEVERITY_SIGN[f.severity] : ''
              );
            })
          )
        )
      )
    )
  );
}

/** A column of the newest drift verdict, with its name. */
export interface INamedColumn extends IColumnDrift {
  column: string;
}

/** The per-column verdicts of a drift report (`columns`, by name), most severe first, drifted before not. */
export function driftColumns(report: ILatestDrift): INamedColumn[] {
  return Object.entries(report.columns)
    .map(([column, c]) => ({ ...c, column }))
    .sort(
      (a, b) =>
        SEVERITY.indexOf(a.severity) - SEVERITY.indexOf(b.severity) ||
        Number(b.drifted) - Number(a.drifted) ||
        a.column.localeCompare(b.column)
    );
}

/** The figures shown per column. */
const KEYS: (keyof IColumnDrift)[] = [
  'kind',
  'method',
  'statistic',
  'threshold',
  'p_value'
];

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
  const edges = hist.edges;
  const labels =
    hist.categories ??
    (edges
      ? edges.slice(0, -1).map((e, i) => `${fmt(e)}–${fmt(edges[i + 1])}`)
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

/** The kind of the model alert the monitoring job raises on an estimated drop (`monitor._drift_alerts`). */
export const ESTIMATED_DROP = 'estimated performance drop';

/**
 * The standing verdict of the monitoring job (`monitoring/status.json`), worded from the newest drift report:
 * an alert stays shown until a newer verdict replaces it.
 */
export function renderVerdict(
  state: IDriftState,
  env: IEnv
): HTMLElement | null {
  const st = state.status;
  const report = state.report;
  if (!st) {
    return null;
  }
  if (st.outcome !== 'alert') {
    return h(
      'div',
      { class: 'ss-muted ss-verdict ss-verdict-ok' },
      badge('ok', 'all clear'),
      ` ${st.message} (run ${st.run_id}, ${when(st.at)})`
    );
  }
  const fired = report?.alert.fired
    ? driftSignals(report.alert.signals as unknown as { [k: string]: boolean })
    : [];
  const drift = report && fired.length ? alertWords(report.alert) : null;
  const others = st.alerts.filter(
    a => !(drift && a.kind.endsWith(' drift') && a.file === report?.batch)
  );
  const estimated = others.filter(a => a.kind === ESTIMATED_DROP);
  const headline =
    drift ?? (estimated.length ? `alert: ${ESTIMATED_DROP}` : 'alert');
  return outcomeBox(
    'alert',
    h('b', { class: 'ss-verdict ss-verdict-alert' }, headline),
    drift && report ? ` — batch ${report.batch}` : null,
    others.length
      ? h(
          'ul',
          { class: 'ss-alert-list' },
          others.map(a =>
            a.kind === ESTIMATED_DROP
              ? h(
                  'li',
                  { class: 'ss-alert-estimate' },
                  badge('estimated-drop', 'model alert'),
                  ` ${a.kind}: ${a.message}`
                )
              : h('li', {}, `${a.kind}: ${a.message}`)
          )
        )
      : null,
    h(
      'div',
      { class: 'ss-muted' },
      `standing since run ${st.run_id} (${when(st.at)}) until a newer verdict replaces it`,
      report?.report
        ? [' · ', fileLink(env, report.report, 'drift report')]
        : null
    )
  );
}

/** The batch chooser, the Run button, the monitoring job's progress and how the last job ended. */
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
  let lastLine: HTMLElement | null = null;
  if (!job && last && last.outcome === 'failed') {
    lastLine = h(
      'div',
      { class: 'ss-error ss-last-job', role: 'alert' },
      `The last monitoring job (${last.batch}) failed (${exitWords(last)}): `,
      last.summary ? h('div', {}, last.summary) : null,
      h('pre', {}, last.log_tail ?? ''),
      fileLink(env, last.log, 'log')
    );
  } else if (!job && last) {
    lastLine = h(
      'div',
      {
        class: `ss-muted ss-last-job ss-last-${last.outcome ?? 'unknown'}`
      },
      badge(last.outcome ?? 'unknown'),
      ` The last monitoring job (${last.batch}) finished at ${when(last.finished_at)} (${exitWords(last)})`,
      last.summary ? `: ${last.summary}` : '',
      ' · ',
      fileLink(env, last.log, 'log')
    );
  }
  return h(
    'div',
    { class: 'ss-runner' },
    h(
      'datalist',
      { id: 'ss-batches' },
      state.batches.map(b => h('option', { value: b }))
    ),
    h('label', {}, 'Batch file or folder ', input),
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
    lastLine,
    actions.notice ?? null
  );
}

function header(report: ILatestDrift, path: string | null, env: IEnv) {
  const cols = Object.values(report.columns);
  const health = report.health;
  return h(
    'div',
    { class: 'ss-header' },
    h(
      'div',
      {},
      'Batch: ',
      h('b', {}, report.batch),
      ` · checked ${when(report.checked_at)} against ${report.model_version} · ${report.n_rows} rows`
    ),
    health
      ? h(
          'div',
          { class: 'ss-muted ss-health' },
          `rows in ${health.rows_in}, valid ${health.rows_valid}, quarantined ${health.rows_quarantined}`,
          health.quarantine_rate !== null &&
            health.quarantine_rate !== undefined
            ? ` (${fmt(health.quarantine_rate * 100)} %)`
            : '',
          health.health ? [' · health ', badge(health.health)] : null
        )
      : null,
    h(
      'div',
      {},
      `${cols.filter(c => c.drifted).length} of ${cols.length} feature(s) drifted`,
      report.prediction
        ? ` · prediction drift: ${report.prediction.drifted ? 'yes' : 'no'}`
        : '',
      report.concept
        ? ` · concept drift: ${report.concept.drifted ? 'yes' : 'no'}`
        : ''
    ),
    path ? fileLink(env, path, 'verdict (latest.json)') : null
  );
}

/** The Drift view: the standing verdict, the runner, the newest report's per-column table and the selected column's distributions. */
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
      renderVerdict(state, env),
      state.report_error
        ? h('div', { class: 'ss-error' }, state.report_error)
        : h(
            'div',
            { class: 'ss-notice ss-verdict-line' },
            state.message ?? 'No monitoring report exists yet.'
          ),
      renderRunner(state, env, actions),
      renderTimeline(state.timeline, env),
      renderTrends(state.timeline)
    );
  }
  const cols = driftColumns(report);
  const sel = cols.find(c => c.column === actions.selected) ?? cols[0];
  return h(
    'div',
    { class: 'ss-drift' },
    renderVerdict(state, env),
    header(report, state.path, env),
    renderRunner(state, env, actions),
    renderTimeline(state.timeline, env),
    renderTrends(state.timeline),
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
          KEYS.map(k => h('th', {}, k))
        )
      ),
      h(
        'tbody',
        {},
        cols.map(c =>
          h(
            'tr',
            {
              class: `ss-drift-row${c === sel ? ' ss-selected' : ''}`,
              'data-column': c.column,
              onclick: () => actions.select(c.column)
            },
            h('td', {}, c.column),
            h('td', {}, badge(c.drifted ? 'drift' : 'ok', c.severity)),
            KEYS.map(k => h('td', {}, fmt(c[k])))
          )
        )
      )
    ),
    sel && sel.histogram
      ? h(
          'div',
          { class: 'ss-hist-box' },
          h(
            'div',
            {},
            h('b', {}, sel.column),
            ': ',
            h('span', { class: 'ss-key-ref' }, '■ reference'),
            ' ',
            h('span', { class: 'ss-key-cur' }, '■ current')
          ),
          renderHistogram(sel.column, sel.histogram),
          sel.reason ? h('div', { class: 'ss-muted' }, sel.reason) : null
        )
      : sel
        ? h(
            'div',
            { class: 'ss-muted' },
            `No histogram for ${sel.column}: ${sel.reason}`
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
      return this.showError(err);
    }
    this.env.watch?.drift(this.state);
    if (this.state.job && !this.polling) {
      this.poll(() => this.load());
    } else if (!this.state.job && this.polling) {
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
