import { IEnv, fileLink } from './context';
import { badge, fmt, h, longText, when } from './dom';
import { IScorecard } from './readiness';
import { get } from './request';
import { View } from './view';

export interface IVersion {
  version: string;
  created_at?: string;
  aliases?: string[];
  metrics?: { [k: string]: unknown };
  data_version?: string;
  git_commit?: string;
  [k: string]: unknown;
}

export interface IExportState {
  registry: {
    versions: IVersion[];
    aliases: { [a: string]: string | null };
    history: any[];
  } | null;
  availability: {
    [target: string]: { available: boolean; reason?: string | null };
  } | null;
  export: { model?: string; targets?: any[] } | null;
  export_path?: string;
  gate: { decision: string; blocking: any[]; reason?: string | null };
  missing: string[];
  job: { [k: string]: any } | null;
  last_job: { [k: string]: any } | null;
}

export interface IExportActions {
  exportTarget(target: string, version: string | null): void;
  promote(version: string, overrideReason: string): void;
  rollback(): void;
  canExport: boolean;
  scorecard: IScorecard | null;
  notice?: HTMLElement | null;
}

const LABEL: { [t: string]: string } = {
  'onnx-fp32': 'ONNX',
  'onnx-int8': 'INT8',
  'tensorrt-fp16': 'TensorRT'
};

function latency(t: any): string {
  const own = t.latency_batch1?.p50_us;
  const torch = t.baseline?.latency_batch1?.p50_us;
  if (own === undefined) {
    return '—';
  }
  return (
    `${fmt(own)} µs vs PyTorch ${fmt(torch)} µs` +
    (t.speedup_p50 ? ` (×${fmt(t.speedup_p50)})` : '')
  );
}

function parity(t: any): HTMLElement | string {
  const checks = Object.entries(t.parity?.checks ?? {}) as [string, any][];
  if (!checks.length) {
    return t.parity ? `max|Δ| ${fmt(t.parity.max_abs_diff)}` : '—';
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

/** The export report: parity, latency against PyTorch, size and file per target. */
export function renderResults(state: IExportState, env: IEnv): HTMLElement {
  const targets = state.export?.targets ?? [];
  if (!targets.length) {
    return h(
      'div',
      { class: 'ss-notice' },
      `No export report yet (${state.export_path ?? 'products/06_export/export.json'}); run the pipeline.`
    );
  }
  return h(
    'table',
    { class: 'ss-table ss-results' },
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
      targets.map(t =>
        h(
          'tr',
          { 'data-target': t.target },
          h('td', {}, t.target),
          h(
            'td',
            {},
            badge(t.status ?? 'unknown'),
            t.reason ? h('div', { class: 'ss-muted' }, t.reason) : null
          ),
          h('td', {}, parity(t)),
          h('td', {}, latency(t)),
          h('td', {}, t.size_bytes ? `${fmt(t.size_bytes / 1024)} KiB` : '—'),
          h('td', {}, fileLink(env, t.file))
        )
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

function blockingList(
  state: IExportState,
  env: IEnv,
  card: IScorecard | null
): HTMLElement {
  const items = new Map((card?.items ?? []).map(i => [i.id, i]));
  const blocking = state.gate.blocking.filter(
    b => typeof b !== 'object' || !b || b.blocking !== false
  );
  return h(
    'ul',
    { class: 'ss-blocking-list' },
    blocking.map(b => {
      const id = typeof b === 'object' && b ? b.id : String(b);
      const it = items.get(id);
      const ev = it?.evidence ?? [];
      return h(
        'li',
        { 'data-item': id },
        badge(it?.status ?? b?.status ?? 'fail'),
        ' ',
        h('b', {}, id),
        ' ',
        it?.title ?? b?.title ?? '',
        b?.reason ? longText(b.reason) : null,
        ev.length
          ? h(
              'div',
              { class: 'ss-evidence' },
              'evidence: ',
              ev.map((e, i) => [i ? ' · ' : '', fileLink(env, e.path ?? e.uri)])
            )
          : null
      );
    })
  );
}

/** The Export view: versions and aliases, export buttons, results, gated promotion and rollback. */
export function renderExport(
  state: IExportState,
  env: IEnv,
  actions: IExportActions
): HTMLElement {
  const reg = state.registry;
  const versions = reg?.versions ?? [];
  const noGo = state.gate.decision === 'no-go';
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
        {
          value: v.version,
          selected: (v.aliases ?? []).includes('production')
        },
        `${v.version} ${(v.aliases ?? []).join(', ')}`
      )
    )
  );
  const promoteButtons: HTMLButtonElement[] = [];
  const rows = versions.map(v => {
    const inProd = (v.aliases ?? []).includes('production');
    const b = h(
      'button',
      {
        class: 'ss-button ss-small ss-promote',
        'data-version': v.version,
        disabled: inProd || noGo,
        onclick: () => actions.promote(v.version, reason.value.trim())
      },
      'Promote'
    );
    if (!inProd) {
      promoteButtons.push(b);
    }
    return h(
      'tr',
      { 'data-version': v.version },
      h('td', {}, v.version),
      h(
        'td',
        {},
        (v.aliases ?? []).map(a => badge(a))
      ),
      h('td', {}, when(v.created_at)),
      h('td', {}, metrics(v.metrics)),
      h('td', {}, inProd ? null : b)
    );
  });
  reason.addEventListener('input', () =>
    promoteButtons.forEach(b => (b.disabled = noGo && !reason.value.trim()))
  );
  const avail = state.availability ?? {};
  return h(
    'div',
    { class: 'ss-export' },
    state.missing.length
      ? h('div', { class: 'ss-notice' }, state.missing.join('; '))
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
      noGo
        ? [
            h(
              'div',
              {},
              'Promotion is disabled while the gate says no-go. Blocking items:'
            ),
            blockingList(state, env, actions.scorecard),
            h('label', {}, 'Override: ', reason)
          ]
        : null,
      state.gate.reason
        ? h('div', { class: 'ss-muted' }, state.gate.reason)
        : null
    ),
    reg && reg.aliases?.production
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
          : !actions.canExport
            ? 'not available yet: the export command line (python -m nbs_lib.export) is not in the library'
            : state.job
              ? 'an export is running'
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
          ` exporting ${state.job.target} since ${when(state.job.started_at)} · `,
          fileLink(env, state.job.log, 'log')
        )
      : null,
    !state.job && state.last_job && state.last_job.returncode
      ? h(
          'div',
          { class: 'ss-error' },
          `The last export (${state.last_job.target}) failed: `,
          h('pre', {}, state.last_job.log_tail ?? '')
        )
      : null,
    h('h3', {}, 'Results'),
    renderResults(state, env)
  );
}

/** The Export view. */
export class ExportView extends View {
  private state: IExportState | null = null;
  private card: IScorecard | null = null;

  constructor(env: IEnv) {
    super(env, 'Export');
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
    const prod = this.state?.registry?.aliases?.production;
    if (
      await this.env.confirm(
        'Roll back production',
        `Move production from ${prod} back to the version it replaced?`
      )
    ) {
      return this.act('registry/rollback', { confirm: true });
    }
  }

  private render(): void {
    if (this.state) {
      this.show(
        renderExport(this.state, this.env, {
          exportTarget: (target, version) =>
            void this.act('export/run', { target, version }),
          promote: (v, r) => void this.promote(v, r),
          rollback: () => void this.rollback(),
          canExport: !!this.env.context()?.available?.export_cli,
          scorecard: this.card,
          notice: this.notice
        })
      );
    }
  }
}
