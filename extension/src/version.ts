/**
 * A registered version's page inside the Models view (`GET /shipshape/registry/version`, `app.version_page`):
 * metrics, parity and latency per target, files, lineage, readiness at registration and its audit entries.
 * Everything shown is what the server read from the registry and the export reports; nothing is re-judged here.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IVersionFile, IVersionPage } from './api';
import { IEnv, fileLink, labPath } from './context';
import { Child, badge, fmt, h, when } from './dom';
import {
  IExportReport,
  IHistoryEntry,
  IProvenTarget,
  ISkippedTarget
} from './products';

export { IVersionPage };

/** A size in bytes as people read it. */
export function humanSize(n: number | null | undefined): string {
  if (n === null || n === undefined) {
    return '—';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let x = n;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${x.toFixed(1)} ${units[i]}`;
}

/** A long identifier shortened to `n` characters, the whole of it in the title. */
export function short(
  text: string | null | undefined,
  n = 12
): HTMLElement | string {
  if (!text) {
    return '—';
  }
  return h(
    'code',
    { class: 'ss-short', title: text },
    text.length > n ? `${text.slice(0, n)}…` : text
  );
}

/** A link that downloads `path` through Jupyter's files endpoint; plain text when JupyterLab cannot reach it. */
export function downloadLink(
  env: IEnv,
  path: string,
  text: string
): HTMLElement {
  const lp = labPath(env.context(), path);
  if (lp === null) {
    return h('span', { class: 'ss-path', title: path }, text);
  }
  const base = ServerConnection.makeSettings().baseUrl;
  return h(
    'a',
    {
      class: 'ss-link ss-download',
      href: URLExt.join(base, 'files', URLExt.encodeParts(lp)) + '?download=1',
      download: path.split('/').pop() ?? text,
      title: `download ${lp}`
    },
    text
  );
}

function section(title: string, ...body: (HTMLElement | null)[]) {
  return h(
    'section',
    { class: 'ss-version-section' },
    h('h4', {}, title),
    body
  );
}

function table(head: string[], rows: HTMLElement[], cls: string) {
  return h(
    'table',
    { class: `ss-table ${cls}` },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map(c => h('th', {}, c))
      )
    ),
    h('tbody', {}, rows)
  );
}

function metricsTable(page: IVersionPage): HTMLElement {
  const m = Object.entries(page.record.metrics ?? {}).sort(([a], [b]) =>
    a.localeCompare(b)
  );
  return table(
    ['metric', 'value'],
    m.map(([k, v]) =>
      h(
        'tr',
        { 'data-key': k },
        h('th', { scope: 'row' }, k),
        h('td', {}, fmt(v))
      )
    ),
    'ss-version-metrics'
  );
}

type Target = IProvenTarget | ISkippedTarget;

function parityText(t: Target): HTMLElement | string {
  if (t.status === 'skipped') {
    return '—';
  }
  const p = (t as IProvenTarget).parity;
  const checks = Object.entries(p.checks ?? {});
  return h(
    'div',
    {},
    checks.length
      ? checks.map(([name, c]) =>
          h(
            'div',
            { class: c.passed === false ? 'ss-measure-fail' : '' },
            `${c.passed ? '✔' : '✘'} ${name} ${fmt(c.value)} ${c.op} ${fmt(c.threshold)}`
          )
        )
      : `max|Δ| ${fmt(p.max_abs_diff)}`
  );
}

function latencyText(t: Target, r: IExportReport): string {
  if (t.status === 'skipped') {
    return '—';
  }
  const pt = t as IProvenTarget;
  const base = r.baseline?.latency_batch1.p50_us;
  return (
    `p50 ${fmt(pt.latency_batch1.p50_us)} µs · p95 ${fmt(pt.latency_batch1.p95_us)} µs` +
    (base !== undefined ? ` (baseline ${fmt(base)} µs` : '') +
    (base !== undefined && pt.speedup_p50
      ? `, ×${fmt(pt.speedup_p50)})`
      : base !== undefined
        ? ')'
        : '')
  );
}

/** Parity and latency per target: the proof the version was registered with, then any on-demand export of it. */
function targetsTable(page: IVersionPage, env: IEnv): HTMLElement {
  const reports: [string, IExportReport | null, string | null][] = [
    ['at registration', page.export.registered, page.export.registered_path],
    ['on demand', page.export.on_demand, page.export.on_demand_path]
  ];
  const rows = reports.flatMap(([source, r, path]) =>
    r
      ? Object.keys(r.targets)
          .sort()
          .map(name => {
            const t = r.targets[name];
            return h(
              'tr',
              { 'data-target': name, 'data-source': source },
              h('td', {}, name),
              h('td', {}, source, ' ', fileLink(env, path, '(report)')),
              h(
                'td',
                {},
                badge(t.status),
                t.reason ? h('div', { class: 'ss-muted' }, t.reason) : null
              ),
              h('td', {}, parityText(t)),
              h('td', {}, latencyText(t, r)),
              h(
                'td',
                {},
                t.status === 'skipped'
                  ? '—'
                  : humanSize((t as IProvenTarget).size_bytes)
              )
            );
          })
      : []
  );
  return rows.length
    ? table(
        ['target', 'report', 'status', 'parity', 'latency (batch 1)', 'size'],
        rows,
        'ss-version-targets'
      )
    : h(
        'div',
        { class: 'ss-notice' },
        'No export report was registered with this version, and none was made on demand.'
      );
}

function fileState(f: IVersionFile): HTMLElement {
  if (f.missing) {
    return badge('fail', 'missing');
  }
  if (f.intact === false) {
    return badge('fail', 'changed');
  }
  return f.intact ? badge('pass', 'intact') : badge('unknown', 'no sha256');
}

function filesTable(page: IVersionPage, env: IEnv): HTMLElement {
  return table(
    ['file', 'size', 'sha256', 'state', ''],
    page.files.map(f => {
      const name = f.path.split('/').pop() ?? f.name;
      return h(
        'tr',
        { 'data-file': f.name },
        h('td', {}, h('b', {}, f.name), h('div', { class: 'ss-muted' }, name)),
        h('td', {}, humanSize(f.size_bytes)),
        h('td', {}, short(f.sha256)),
        h(
          'td',
          {},
          fileState(f),
          f.missing ? h('div', { class: 'ss-muted' }, f.missing) : null
        ),
        h(
          'td',
          {},
          f.missing
            ? null
            : f.binary
              ? downloadLink(env, f.path, 'download')
              : fileLink(env, f.path, 'open')
        )
      );
    }),
    'ss-version-files'
  );
}

function lineageTable(page: IVersionPage): HTMLElement {
  const l = page.lineage;
  const dirty =
    l.git_dirty === null || l.git_dirty === undefined
      ? ' (uncommitted changes: unknown)'
      : l.git_dirty
        ? ' (uncommitted changes)'
        : ' (clean)';
  const rows: [string, HTMLElement | string][] = [
    ['model', `${page.record.model ?? '—'}`],
    [
      'git commit',
      h(
        'span',
        {},
        short(l.git_commit),
        l.git_commit ? dirty : ' not recorded (no git)'
      )
    ],
    ['data version', short(l.data_version)],
    ['created', when(l.created_at)],
    ['registered by', l.registered_by],
    ['W&B run', l.wandb_run ?? '—']
  ];
  return table(
    ['', 'value'],
    rows.map(([k, v]) =>
      h('tr', { 'data-key': k }, h('th', { scope: 'row' }, k), h('td', {}, v))
    ),
    'ss-version-lineage'
  );
}

function readinessBox(page: IVersionPage, env: IEnv): HTMLElement {
  const r = page.readiness;
  if (r.status !== 'recorded') {
    return h(
      'div',
      { class: 'ss-version-readiness' },
      badge('n/a'),
      ' ',
      r.reason ?? ''
    );
  }
  const blocking = r.blocking ?? [];
  const review = r.review ?? [];
  return h(
    'div',
    { class: 'ss-version-readiness' },
    h(
      'div',
      {},
      'Readiness gate ',
      badge(r.decision ?? 'unknown', (r.decision ?? 'unknown').toUpperCase()),
      ` when ${page.version} was judged · scorecard of ${when(r.scorecard?.generated_at)} `,
      r.scorecard?.sha256 ? short(r.scorecard.sha256) : null,
      ' ',
      fileLink(env, r.scorecard?.path, '(current scorecard)')
    ),
    blocking.length
      ? [
          h('div', {}, `Blocking (${blocking.length}):`),
          h(
            'ul',
            { class: 'ss-blocking-list' },
            blocking.map(b =>
              h(
                'li',
                { 'data-item': b.id },
                badge(b.status),
                ' ',
                h('b', {}, b.id),
                ' ',
                b.title
              )
            )
          )
        ]
      : h('div', {}, 'Nothing blocked it.'),
    review.length
      ? h(
          'div',
          { class: 'ss-muted' },
          `To review (${review.length}): ${review.map(b => b.title).join('; ')}`
        )
      : null
  );
}

/** One audit entry as a table row: when, the action (and its override), the `middle` cells, who, why. */
export function auditRow(e: IHistoryEntry, middle: Child[]): HTMLElement {
  return h(
    'tr',
    { 'data-action': e.action },
    h('td', {}, when(e.at)),
    h(
      'td',
      {},
      badge(e.action),
      e.override ? [' ', badge('warn', 'override')] : null
    ),
    middle,
    h('td', {}, e.who ?? '—'),
    h('td', {}, e.reason ?? '—')
  );
}

function auditTable(page: IVersionPage): HTMLElement {
  const rows = [...page.history].reverse();
  return table(
    ['when', 'action', 'detail', 'who', 'why'],
    rows.length
      ? rows.map(e =>
          auditRow(e, [
            h(
              'td',
              {},
              e.version !== page.version
                ? `${e.version} replaced it`
                : e.previous
                  ? `replaced ${e.previous}`
                  : typeof e.evidence === 'string'
                    ? `${e.evidence}: ${String(e.status ?? '—')}`
                    : '—'
            )
          ])
        )
      : [h('tr', {}, h('td', { colspan: 5 }, 'Nothing recorded yet.'))],
    'ss-version-audit'
  );
}

/** One registered version's page, with a button back to the list. */
export function renderVersionPage(
  page: IVersionPage,
  env: IEnv,
  back: () => void
): HTMLElement {
  const rec = page.record;
  return h(
    'section',
    { class: 'ss-version-page', 'data-version': page.version },
    backButton(back),
    h(
      'h3',
      {},
      `Version ${page.version}`,
      ' ',
      rec.aliases.map(a => [badge(a), ' '])
    ),
    h(
      'div',
      { class: 'ss-muted' },
      `${rec.model ?? 'model'} · registered ${when(rec.created_at)} by ${rec.registered_by}` +
        (rec.missing_evidence.length
          ? ` · not promotable: ${rec.missing_evidence.join(' and ')} not recorded`
          : rec.promotable
            ? ' · promotable'
            : '')
    ),
    typeof rec.selection === 'string'
      ? h('div', { class: 'ss-muted' }, `Selection: ${rec.selection}`)
      : null,
    page.errors.length
      ? h('div', { class: 'ss-error', role: 'alert' }, page.errors.join('; '))
      : null,
    section('Metrics (test set)', metricsTable(page)),
    section('Parity and latency per target', targetsTable(page, env)),
    section('Readiness at registration', readinessBox(page, env)),
    section('Lineage', lineageTable(page)),
    section('Files', filesTable(page, env)),
    section('Audit trail', auditTable(page))
  );
}

export function backButton(back: () => void): HTMLElement {
  return h(
    'button',
    { class: 'ss-button ss-small ss-back', onclick: back },
    '← All versions'
  );
}

/** The page's heading and back button around `body`: its loading line while its GET is in flight, or the error. */
export function versionShell(
  version: string,
  back: () => void,
  body: HTMLElement
): HTMLElement {
  return h(
    'section',
    { class: 'ss-version-page', 'data-version': version },
    backButton(back),
    h('h3', {}, `Version ${version}`),
    body
  );
}

/** The page while its GET is in flight. */
export function versionLoading(version: string, back: () => void): HTMLElement {
  return versionShell(
    version,
    back,
    h(
      'div',
      { class: 'ss-version-loading', role: 'status', 'aria-live': 'polite' },
      h('span', { class: 'ss-spinner', 'aria-hidden': 'true' }),
      ` Loading ${version}…`
    )
  );
}
