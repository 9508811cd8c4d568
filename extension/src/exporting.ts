import { IExportState, IListedVersion } from './api';
import { IHistoryEntry } from './products';
import { IEnv, fileLink } from './context';
import { badge, fmt, h, longText, when } from './dom';
import { exitWords } from './outcome';
import {
  IExportReport,
  IProvenTarget,
  IScorecard,
  ISkippedTarget
} from './products';
import { get } from './request';
import {
  IVersionPage,
  auditRow,
  renderVersionPage,
  versionLoading,
  versionShell
} from './version';
import { errorBox, View } from './view';

export { IExportState };

export interface IExportActions {
  exportTarget(target: string, version: string | null): void;
  /** the two versions compared side by side, and how to choose another */
  compare?: { a: string | null; b: string | null };
  choose?(which: 'a' | 'b', version: string): void;
  promote(version: string, overrideReason: string): void;
  rollback(): void;
  scorecard: IScorecard | null;
  notice?: HTMLElement | null;
  /** open a version's page */
  details?(version: string): void;
}

const LABEL: { [t: string]: string } = {
  'onnx-fp32': 'ONNX',
  'onnx-int8': 'INT8',
  'tensorrt-fp16': 'TensorRT'
};

type Target = IProvenTarget | ISkippedTarget;

function proven(t: Target): t is IProvenTarget {
  return t.status !== 'skipped';
}

/** The baseline's runtime as people name it: the model's own library (the server says which). */
function library(runtime: string | undefined): string {
  const known: Record<string, string> = {
    'pytorch-eager-cpu': 'PyTorch',
    'lightgbm-cpu': 'LightGBM'
  };
  return known[runtime ?? ''] ?? runtime ?? 'the model library';
}

function latency(t: Target, report: IExportReport): string {
  if (!proven(t)) {
    return '—';
  }
  const base = report.baseline?.latency_batch1.p50_us;
  return (
    `${fmt(t.latency_batch1.p50_us)} µs vs ${library(report.baseline?.runtime)} ${fmt(base)} µs` +
    (t.speedup_p50 ? ` (×${fmt(t.speedup_p50)})` : '')
  );
}

function parity(t: Target): HTMLElement | string {
  if (!proven(t)) {
    return '—';
  }
  const checks = Object.entries(t.parity.checks ?? {});
  if (!checks.length) {
    return `max|Δ| ${fmt(t.parity.max_abs_diff)}`;
  }
  return h(
    'div',
    {},
    checks.map(([name, c]) =>
      h(
        'div',
        { class: c.passed === false ? 'ss-measure-fail' : '' },
        `${c.passed ? '✔' : '✘'} ${name} ${fmt(c.value)} ${c.op} ${fmt(c.threshold)}`
      )
    )
  );
}

/** One export report: parity, latency against the model's own library, size and file per target, read by target name. */
export function renderReport(
  report: IExportReport,
  env: IEnv,
  cls = 'ss-results'
): HTMLElement {
  const names = Object.keys(report.targets).sort();
  return h(
    'table',
    { class: `ss-table ${cls}` },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        [
          'target',
          'status',
          'parity',
          'latency p50 (batch 1)',
          'size',
          'file'
        ].map(c => h('th', {}, c))
      )
    ),
    h(
      'tbody',
      {},
      names.map(name => {
        const t = report.targets[name];
        return h(
          'tr',
          { 'data-target': name },
          h('td', {}, name),
          h(
            'td',
            {},
            badge(t.status),
            t.reason ? h('div', { class: 'ss-muted' }, t.reason) : null
          ),
          h('td', {}, parity(t)),
          h('td', {}, latency(t, report)),
          h('td', {}, proven(t) ? `${fmt(t.size_bytes / 1024)} KiB` : '—'),
          h('td', {}, proven(t) ? fileLink(env, t.file) : null)
        );
      })
    )
  );
}

/** The pipeline's proof, then each version's on-demand exports. */
export function renderResults(state: IExportState, env: IEnv): HTMLElement {
  const versions = Object.keys(state.on_demand).sort();
  return h(
    'div',
    { class: 'ss-export-results' },
    state.export
      ? [
          h(
            'div',
            { class: 'ss-muted' },
            'The pipeline\u2019s proof ',
            fileLink(env, state.export_path, '(export.json)')
          ),
          renderReport(state.export, env)
        ]
      : h(
          'div',
          { class: 'ss-notice' },
          `No export report yet (${state.export_path}); run the pipeline.`
        ),
    versions.length ? h('h3', {}, 'On-demand exports') : null,
    versions.map(v =>
      h(
        'div',
        { class: 'ss-on-demand', 'data-version': v },
        h('div', {}, h('b', {}, v)),
        renderReport(state.on_demand[v], env, 'ss-results-on-demand')
      )
    )
  );
}

/** A version's headline metrics: the ranking ones first. */
function metrics(m: { [k: string]: unknown } | undefined): HTMLElement[] {
  const order = ['roc_auc', 'pr_auc', 'accuracy'];
  return Object.entries(m ?? {})
    .filter(([, x]) => typeof x === 'number')
    .sort(
      (a, b) =>
        (order.indexOf(a[0]) + 1 || 99) - (order.indexOf(b[0]) + 1 || 99)
    )
    .slice(0, 2)
    .map(([k, x]) => h('div', {}, `${k} ${fmt(x)}`));
}

function blockingList(state: IExportState, env: IEnv, card: IScorecard | null) {
  const items = new Map((card?.items ?? []).map(i => [i.id, i]));
  return h(
    'ul',
    { class: 'ss-blocking-list' },
    state.gate.blocking
      .filter(b => b.blocking)
      .map(b => {
        const ev = items.get(b.id)?.evidence ?? [];
        return h(
          'li',
          { 'data-item': b.id },
          badge(b.status),
          ' ',
          h('b', {}, b.id),
          ' ',
          b.title,
          b.reason ? longText(b.reason) : null,
          ev.length
            ? h(
                'div',
                { class: 'ss-evidence' },
                'evidence: ',
                ev.map((e, i) => [
                  i ? ' · ' : '',
                  fileLink(env, e.path ?? e.uri)
                ])
              )
            : null
        );
      })
  );
}

/** Why a version cannot be promoted from here, or null. */
function notPromotable(v: IListedVersion): string | null {
  if (v.aliases.includes('production')) {
    return 'in production';
  }
  if (v.missing_evidence.length) {
    return `not promotable: ${v.missing_evidence.join(' and ')} not recorded (shipshape qualify ${v.version})`;
  }
  return null;
}

/** The version compared as A (production, else the newest) and as B (the newest other one, else A), unless chosen. */
export function compared(
  versions: IListedVersion[],
  chosen: { a: string | null; b: string | null } = { a: null, b: null }
): [IListedVersion | null, IListedVersion | null] {
  const by = (v: string | null) => versions.find(x => x.version === v) ?? null;
  const newest = [...versions].sort((x, y) =>
    y.created_at.localeCompare(x.created_at)
  );
  const a =
    by(chosen.a) ??
    versions.find(v => v.aliases.includes('production')) ??
    newest[0] ??
    null;
  const b = by(chosen.b) ?? newest.find(v => v !== a) ?? a;
  return [a, b];
}

/** Two registered versions side by side: model, when and by whom, aliases, evidence and every numeric metric (B − A). */
export function renderCompare(
  versions: IListedVersion[],
  actions: Pick<IExportActions, 'compare' | 'choose'>
): HTMLElement | null {
  const [a, b] = compared(versions, actions.compare);
  if (!a || !b) {
    return null;
  }
  const pick = (which: 'a' | 'b', cur: IListedVersion) =>
    h(
      'select',
      {
        class: `ss-compare-${which}`,
        'aria-label': `compare version ${which.toUpperCase()}`,
        onchange: (e: Event) =>
          actions.choose?.(which, (e.target as HTMLSelectElement).value)
      },
      versions.map(v =>
        h(
          'option',
          { value: v.version, selected: v.version === cur.version },
          `${v.version}${v.aliases.length ? ` (${v.aliases.join(', ')})` : ''}`
        )
      )
    );
  const num = (m: IListedVersion, k: string) => {
    const x = (m.metrics ?? {})[k];
    return typeof x === 'number' ? x : null;
  };
  const keys = [
    ...new Set([
      ...Object.keys(a.metrics ?? {}),
      ...Object.keys(b.metrics ?? {})
    ])
  ]
    .filter(k => num(a, k) !== null || num(b, k) !== null)
    .sort();
  const row = (label: string, x: unknown, y: unknown, d: string = '') =>
    h(
      'tr',
      { 'data-key': label },
      h('th', { scope: 'row' }, label),
      h('td', {}, fmt(x)),
      h('td', {}, fmt(y)),
      h('td', {}, d)
    );
  return h(
    'div',
    { class: 'ss-compare' },
    h('h3', {}, 'Compare two versions'),
    h('div', {}, pick('a', a), ' against ', pick('b', b)),
    h(
      'table',
      { class: 'ss-table ss-compare-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, ''),
          h('th', {}, `A: ${a.version}`),
          h('th', {}, `B: ${b.version}`),
          h('th', {}, 'B − A')
        )
      ),
      h(
        'tbody',
        {},
        row('model', a.model, b.model),
        row('created', when(a.created_at), when(b.created_at)),
        row('registered by', a.registered_by, b.registered_by),
        row('aliases', a.aliases.join(', '), b.aliases.join(', ')),
        row(
          'missing evidence',
          a.missing_evidence.join(', ') || 'none',
          b.missing_evidence.join(', ') || 'none'
        ),
        keys.map(k => {
          const x = num(a, k);
          const y = num(b, k);
          const d = x !== null && y !== null ? y - x : null;
          return row(k, x, y, d === null ? '' : `${d > 0 ? '+' : ''}${fmt(d)}`);
        })
      )
    )
  );
}

/** The registry's audit trail, newest first: registrations, promotions (with overrides) and rollbacks, who, when and why. */
export function renderAudit(history: IHistoryEntry[]): HTMLElement {
  const rows = [...history].reverse();
  return h(
    'div',
    { class: 'ss-audit' },
    h('h3', {}, 'Audit trail'),
    h(
      'table',
      { class: 'ss-table ss-audit-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['when', 'action', 'version', 'previous', 'who', 'why'].map(c =>
            h('th', {}, c)
          )
        )
      ),
      h(
        'tbody',
        {},
        rows.length
          ? rows.map(e =>
              auditRow(e, [
                h('td', {}, e.version),
                h('td', {}, e.previous ?? '—')
              ])
            )
          : h('tr', {}, h('td', { colspan: 6 }, 'Nothing recorded yet.'))
      )
    )
  );
}

/** The Models view: versions and aliases, gated promotion and rollback, export buttons, results. */
export function renderExport(
  state: IExportState,
  env: IEnv,
  actions: IExportActions
): HTMLElement {
  const reg = state.registry;
  const versions = reg?.versions ?? [];
  const gated = state.gate.decision !== 'go';
  const reason = h('input', {
    type: 'text',
    class: 'ss-override',
    placeholder: 'override reason (recorded with who and when)'
  });
  const versionSel = h(
    'select',
    { class: 'ss-version' },
    versions.map(v =>
      h(
        'option',
        { value: v.version, selected: v.aliases.includes('production') },
        `${v.version} ${v.aliases.join(', ')}`
      )
    )
  );
  const promoteButtons: HTMLButtonElement[] = [];
  const rows = versions.map(v => {
    const why = notPromotable(v);
    const b = h(
      'button',
      {
        class: 'ss-button ss-small ss-promote',
        'data-version': v.version,
        disabled: !!why || gated,
        onclick: () => actions.promote(v.version, reason.value.trim())
      },
      'Promote'
    );
    if (!why) {
      promoteButtons.push(b);
    }
    return h(
      'tr',
      { 'data-version': v.version },
      h(
        'td',
        {},
        v.version,
        actions.details
          ? [
              ' ',
              h(
                'button',
                {
                  class: 'ss-button ss-small ss-details',
                  'data-version': v.version,
                  title: `the page of ${v.version}: metrics, targets, files, lineage, readiness at registration`,
                  onclick: () => actions.details?.(v.version)
                },
                'details'
              )
            ]
          : null
      ),
      h(
        'td',
        {},
        v.aliases.map(a => badge(a))
      ),
      h('td', {}, when(v.created_at)),
      h('td', {}, metrics(v.metrics)),
      h(
        'td',
        {},
        v.aliases.includes('production') ? null : b,
        why && !v.aliases.includes('production')
          ? h('div', { class: 'ss-muted ss-reason' }, why)
          : null
      )
    );
  });
  reason.addEventListener('input', () =>
    promoteButtons.forEach(b => (b.disabled = gated && !reason.value.trim()))
  );
  const avail = state.availability;
  const prod = reg?.aliases.production ?? null;
  return h(
    'div',
    { class: 'ss-export' },
    h(
      'div',
      { class: 'ss-verdict-line' },
      'Production: ',
      prod ? badge('production', prod) : badge('unknown', 'none'),
      ` · ${versions.length} registered version(s) · readiness gate `,
      badge(state.gate.decision, state.gate.decision.toUpperCase()),
      state.job
        ? [
            ' · ',
            badge(
              'running',
              `exporting ${state.job.version} to ${state.job.target}`
            )
          ]
        : null
    ),
    state.errors.length
      ? h('div', { class: 'ss-error' }, state.errors.join('; '))
      : null,
    actions.notice ?? null,
    h('h3', {}, 'Registered versions'),
    reg
      ? h(
          'table',
          { class: 'ss-table ss-versions' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['version', 'aliases', 'created', 'metrics', ''].map(c =>
                h('th', {}, c)
              )
            )
          ),
          h(
            'tbody',
            {},
            rows.length
              ? rows
              : h(
                  'tr',
                  {},
                  h('td', { colspan: 5 }, 'No registered versions yet.')
                )
          )
        )
      : null,
    h(
      'div',
      { class: 'ss-gatebox' },
      'Readiness gate: ',
      badge(state.gate.decision, state.gate.decision.toUpperCase()),
      gated
        ? [
            h(
              'div',
              {},
              state.gate.decision === 'unavailable'
                ? 'Promotion needs a current scorecard, or an override reason:'
                : 'Promotion needs the gate to say go, or an override reason. Blocking items:'
            ),
            state.gate.decision === 'unavailable'
              ? null
              : blockingList(state, env, actions.scorecard),
            h('label', {}, 'Override: ', reason)
          ]
        : null,
      state.gate.reason
        ? h('div', { class: 'ss-muted' }, state.gate.reason)
        : null
    ),
    reg && reg.aliases.production
      ? h(
          'button',
          { class: 'ss-button ss-rollback', onclick: () => actions.rollback() },
          `Roll back production (${reg.aliases.production})`
        )
      : null,
    h('h3', {}, 'Export'),
    h(
      'div',
      { class: 'ss-targets' },
      versions.length ? h('label', {}, 'version ', versionSel, ' ') : null,
      Object.entries(avail).map(([t, a]) => {
        const why = !a.available
          ? (a.reason ?? 'unavailable here')
          : state.job
            ? 'an export is running'
            : !versions.length
              ? 'no registered version to export'
              : null;
        return h(
          'div',
          { class: 'ss-target', 'data-target': t },
          h(
            'button',
            {
              class: 'ss-button ss-export-button',
              'data-target': t,
              disabled: !!why,
              title: why ?? `export ${t}`,
              onclick: () => actions.exportTarget(t, versionSel.value || null)
            },
            `Export ${LABEL[t] ?? t}`
          ),
          why ? h('span', { class: 'ss-reason ss-muted' }, ` ${why}`) : null
        );
      })
    ),
    state.job
      ? h(
          'div',
          { class: 'ss-progress' },
          h('progress', {}),
          ` exporting ${state.job.version} to ${state.job.target} since ${when(state.job.started_at)} · `,
          fileLink(env, state.job.log, 'log')
        )
      : null,
    !state.job && state.last_job && state.last_job.outcome === 'failed'
      ? h(
          'div',
          { class: 'ss-error', role: 'alert' },
          `The last export (${state.last_job.version} to ${state.last_job.target}) failed (${exitWords(state.last_job)}): `,
          h('pre', {}, state.last_job.log_tail ?? '')
        )
      : null,
    h('h3', {}, 'Results'),
    renderResults(state, env),
    versions.length ? renderCompare(versions, actions) : null,
    reg ? renderAudit(reg.history ?? []) : null
  );
}

/** The Models view: the registry's versions, promotion, export, comparison and audit trail. */
export class ExportView extends View {
  private state: IExportState | null = null;
  private card: IScorecard | null = null;
  private compare: { a: string | null; b: string | null } = {
    a: null,
    b: null
  };
  /** the version whose page is open (its answer once loaded, or the error), else null: the list */
  private page: {
    version: string;
    data: IVersionPage | null;
    error: unknown;
  } | null = null;

  constructor(env: IEnv) {
    super(env, 'Models');
  }

  async load(): Promise<void> {
    try {
      this.state = await get<IExportState>('export');
    } catch (err) {
      return this.showError(err);
    }
    this.card = await get<IScorecard>('readiness').catch(() => null);
    if (this.state.job && !this.polling) {
      this.poll(() => this.load());
    } else if (!this.state.job && this.polling) {
      this.stopPolling();
    }
    this.render();
  }

  private async act(route: string, body: object): Promise<void> {
    await this.send<{ message?: string }>(
      route,
      body,
      r => r.message ?? 'done'
    );
    return this.load();
  }

  async promote(version: string, overrideReason: string): Promise<void> {
    const note = overrideReason
      ? `\n\nOverride reason (recorded): ${overrideReason}`
      : '';
    if (
      await this.env.confirm(
        'Promote to production',
        `Move production to ${version}?${note}`
      )
    ) {
      return this.act('registry/promote', {
        version,
        confirm: true,
        override_reason: overrideReason || undefined
      });
    }
  }

  async rollback(): Promise<void> {
    const prod = this.state?.registry?.aliases.production;
    if (
      await this.env.confirm(
        'Roll back production',
        `Move production from ${prod} back to the version it replaced?`
      )
    ) {
      return this.act('registry/rollback', { confirm: true });
    }
  }

  /** Open a version's page (loading first), or go back to the list with `null`. */
  async details(version: string | null): Promise<void> {
    this.page = version ? { version, data: null, error: null } : null;
    this.render();
    if (!version) {
      return;
    }
    const open = this.page;
    try {
      const data = await get<IVersionPage>(
        `registry/version?version=${encodeURIComponent(version)}`
      );
      if (this.page === open) {
        this.page = { version, data, error: null };
      }
    } catch (error) {
      if (this.page === open) {
        this.page = { version, data: null, error };
      }
    }
    this.render();
  }

  private render(): void {
    if (this.page) {
      const back = () => void this.details(null);
      const { version, data, error } = this.page;
      this.show(
        data
          ? renderVersionPage(data, this.env, back)
          : error
            ? versionShell(
                version,
                back,
                errorBox(error, () => void this.details(version))
              )
            : versionLoading(version, back)
      );
      return;
    }
    if (this.state) {
      this.show(
        renderExport(this.state, this.env, {
          exportTarget: (target, version) =>
            void this.act(
              'export/run',
              version ? { target, version } : { target }
            ),
          promote: (v, r) => void this.promote(v, r),
          rollback: () => void this.rollback(),
          scorecard: this.card,
          notice: this.notice,
          details: v => void this.details(v),
          compare: this.compare,
          choose: (which, v) => {
            this.compare = { ...this.compare, [which]: v };
            this.render();
          }
        })
      );
    }
  }
}
