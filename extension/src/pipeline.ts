import { IPipelineState, IRun, IRunsState, ITaskStatus } from './api';
import { IEnv, fileLink } from './context';
import { badge, fmt, h, seconds, when } from './dom';
import { alertsLine, exitWords, outcomeBadge, runOutcome } from './outcome';
import { IRunTask } from './products';
import { get } from './request';
import { View, errorBox } from './view';

export { IPipelineState };

export interface IPipelineActions {
  run(env: string | null, force?: boolean): void;
  cancel?(run: string): void;
  toggle(id: string): void;
  expanded: Set<string>;
  notice?: HTMLElement | null;
  /** Which action waits for its confirmation beside its button: `force` or `cancel`. */
  confirming?: 'force' | 'cancel' | null;
  confirm?(what: 'force' | 'cancel' | null): void;
}

const TASK_LABEL: { [s: string]: string } = {
  pending: 'waiting',
  executed: 'done',
  skipped: 'up to date',
  errored: 'failed',
  aborted: 'not run'
};

/** The live run: its current task and each task's progress. */
export function renderProgress(run: IRun, env: IEnv): HTMLElement {
  const tasks = run.tasks ?? [];
  const todo = tasks.filter(t => t.status !== 'skipped');
  const done = todo.filter(t => t.status === 'executed').length;
  return h(
    'div',
    { class: 'ss-progress', 'data-run': run.id },
    h(
      'div',
      {},
      h('b', {}, 'Running '),
      run.id,
      ` (${run.trigger ?? '?'}) — `,
      run.current
        ? ['current task: ', h('b', { class: 'ss-current' }, run.current)]
        : 'starting…'
    ),
    h('progress', { max: Math.max(todo.length, 1), value: done }),
    h('span', { class: 'ss-muted' }, ` ${done} of ${todo.length} task(s) done`),
    h(
      'ol',
      { class: 'ss-steps' },
      tasks.map(t =>
        h(
          'li',
          {
            class: `ss-step ss-step-${t.name === run.current ? 'current' : t.status}`
          },
          t.name,
          ' ',
          badge(
            t.name === run.current ? 'running' : t.status,
            t.name === run.current
              ? 'running…'
              : (TASK_LABEL[t.status] ?? t.status)
          ),
          t.status === 'executed'
            ? [
                ' ',
                fileLink(env, t.report, 'report'),
                ' ',
                fileLink(env, t.notebook, 'notebook')
              ]
            : null
        )
      )
    ),
    run.log ? h('div', {}, 'Log: ', fileLink(env, run.log)) : null
  );
}

/** A failed run's failing task and message: in words first (naming the setting when the message names one), then as raised. */
export function renderFailure(run: IRun, env: IEnv): HTMLElement {
  const task = (run.tasks ?? []).find(t => t.name === run.error?.task);
  const blamed = run.error?.parameter;
  return h(
    'div',
    { class: 'ss-error ss-run-error', role: 'alert' },
    h('b', {}, `Run ${run.id} failed`),
    run.error?.task ? [' in task ', h('b', {}, run.error.task)] : null,
    run.error?.plain
      ? [': ', h('span', { class: 'ss-plain' }, run.error.plain)]
      : null,
    blamed
      ? h(
          'div',
          { class: 'ss-blamed' },
          'Setting to check: ',
          h('code', {}, blamed.setting),
          ` = ${JSON.stringify(blamed.value)}`
        )
      : null,
    h(
      'div',
      {},
      run.error?.plain ? 'Raised: ' : ': ',
      h('code', {}, run.error?.message ?? 'unknown error')
    ),
    task ? [' — ', fileLink(env, task.notebook, 'executed notebook')] : null,
    run.log ? [' · ', fileLink(env, run.log, 'log')] : null
  );
}

/** The panel's last job when it failed without a run record to show (refused, bad settings): its exit and log tail. */
function jobFailure(state: IRunsState, env: IEnv): HTMLElement | null {
  const last = state.last_job;
  if (state.running || !last || last.outcome !== 'failed' || last.run_id) {
    return null;
  }
  return h(
    'div',
    { class: 'ss-error ss-job-error', role: 'alert' },
    `The last run started from the panel failed (${exitWords(last)}): `,
    h('pre', {}, last.log_tail ?? ''),
    fileLink(env, last.log, 'log')
  );
}

/** A task's state in the graph: the live run's, else up to date / outdated (why) / failed in the last run. */
export function nodeState(
  t: ITaskStatus,
  live: IRun | null,
  last: IRun | undefined
): { status: string; label: string; detail: string } {
  const row = live?.tasks?.find(x => x.name === t.name);
  if (live && row) {
    if (t.name === live.current) {
      return { status: 'running', label: 'running…', detail: '' };
    }
    return {
      status: row.status,
      label: TASK_LABEL[row.status] ?? row.status,
      detail: row.ran ? seconds(row.elapsed_s) : ''
    };
  }
  if (last?.outcome === 'failed' && last.error?.task === t.name && t.outdated) {
    return { status: 'failed', label: 'failed', detail: 'in the last run' };
  }
  return t.outdated
    ? { status: 'outdated', label: 'outdated', detail: t.why.join(', ') }
    : { status: 'ok', label: 'up to date', detail: '' };
}

/** Tasks in layers: each task one layer after the deepest task it reads from (the longest path from a source). */
export function layers(tasks: ITaskStatus[]): ITaskStatus[][] {
  const byName = new Map(tasks.map(t => [t.name, t]));
  const depth = new Map<string, number>();
  const level = (t: ITaskStatus, seen: Set<string>): number => {
    if (depth.has(t.name)) {
      return depth.get(t.name)!;
    }
    seen.add(t.name);
    const ups = (t.upstream ?? [])
      .map(u => byName.get(u))
      .filter((u): u is ITaskStatus => !!u && !seen.has(u.name));
    const d = ups.length ? 1 + Math.max(...ups.map(u => level(u, seen))) : 0;
    depth.set(t.name, d);
    return d;
  };
  const out: ITaskStatus[][] = [];
  for (const t of tasks) {
    const d = level(t, new Set());
    (out[d] ??= []).push(t);
  }
  return out.filter(l => l);
}

/** The edges that are not implied by others: a task's direct inputs, without those it also reads through another input. */
export function directInputs(t: ITaskStatus, tasks: ITaskStatus[]): string[] {
  const byName = new Map(tasks.map(x => [x.name, x]));
  const reach = (name: string, seen = new Set<string>()): Set<string> => {
    for (const u of byName.get(name)?.upstream ?? []) {
      if (!seen.has(u)) {
        seen.add(u);
        reach(u, seen);
      }
    }
    return seen;
  };
  const ups = t.upstream ?? [];
  return ups.filter(u => !ups.some(v => v !== u && reach(v).has(u)));
}

/** The pipeline as a graph: layers left to right (wrapping, never scrolling sideways), each task with its live state. */
export function renderDag(
  state: IPipelineState,
  last: IRun | undefined
): HTMLElement {
  const ls = layers(state.tasks);
  return h(
    'ol',
    {
      class: 'ss-dag',
      'aria-label': 'pipeline graph: tasks in the order they run'
    },
    ls.map((layer, i) =>
      h(
        'li',
        { class: 'ss-dag-layer' },
        i > 0
          ? h('span', { class: 'ss-dag-arrow', 'aria-hidden': 'true' }, '→')
          : null,
        h(
          'div',
          { class: 'ss-dag-column' },
          layer.map(t => {
            const st = nodeState(t, state.live, last);
            const direct = directInputs(t, state.tasks);
            return h(
              'div',
              {
                class: `ss-dag-node ss-dag-${st.status}`,
                'data-task': t.name,
                title: t.upstream?.length
                  ? `${t.name} reads from ${t.upstream.join(', ')}`
                  : `${t.name} reads the data files`
              },
              h('div', { class: 'ss-dag-name' }, t.name),
              badge(st.status, st.label),
              st.detail ? h('div', { class: 'ss-muted' }, st.detail) : null,
              direct.length
                ? h(
                    'div',
                    { class: 'ss-muted ss-dag-inputs' },
                    `← ${direct.join(', ')}`
                  )
                : null
            );
          })
        )
      )
    )
  );
}

function taskTable(state: IPipelineState, env: IEnv): HTMLElement {
  const byName = new Map<string, IRunTask>();
  for (const r of state.runs) {
    for (const t of r.tasks ?? []) {
      if (t.report && !byName.has(t.name)) {
        byName.set(t.name, t);
      }
    }
  }
  return h(
    'table',
    { class: 'ss-table ss-tasks' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'task'),
        h('th', {}, 'state'),
        h('th', {}, 'report')
      )
    ),
    h(
      'tbody',
      {},
      state.tasks.map(t => {
        const r = byName.get(t.name);
        return h(
          'tr',
          { 'data-task': t.name },
          h('td', {}, t.name),
          h(
            'td',
            {},
            t.outdated ? badge('outdated') : badge('ok', 'up to date'),
            t.outdated && t.why.length
              ? h('span', { class: 'ss-muted' }, ` ${t.why.join(', ')}`)
              : null
          ),
          h(
            'td',
            {},
            fileLink(env, r?.report, 'report'),
            ' ',
            fileLink(env, r?.notebook, 'notebook')
          )
        );
      })
    )
  );
}

function runDetails(run: IRun, env: IEnv): HTMLElement {
  return h(
    'table',
    { class: 'ss-table ss-run-tasks' },
    h(
      'tbody',
      {},
      (run.tasks ?? []).map(t =>
        h(
          'tr',
          {},
          h('td', {}, t.name),
          h('td', {}, badge(t.status, TASK_LABEL[t.status] ?? t.status)),
          h('td', {}, t.ran ? seconds(t.elapsed_s) : ''),
          h(
            'td',
            {},
            Object.entries(t.key_figures ?? {}).map(([k, v]) =>
              h('div', { class: 'ss-muted' }, `${k}: ${fmt(v)}`)
            )
          ),
          h(
            'td',
            {},
            t.ran || t.status === 'errored'
              ? [
                  fileLink(env, t.notebook, 'notebook (task log)'),
                  ' ',
                  fileLink(env, t.report, 'report')
                ]
              : null
          )
        )
      )
    )
  );
}

/** What a finished run came to, in words: an alert's alerts, a failure's task and message, or its summary. */
export function runResult(run: IRun): HTMLElement {
  const outcome = runOutcome(run);
  if (outcome === 'alert') {
    const alerts = run.alerts ?? [];
    return h(
      'span',
      { class: 'ss-alert-text' },
      alerts.length ? alertsLine(alerts) : `alert: ${run.message ?? ''}`
    );
  }
  if (outcome === 'failed') {
    const killed = run.killed ? ' (killed)' : '';
    return h(
      'span',
      { class: 'ss-error-text' },
      `failed${killed}${run.error?.task ? ' in ' + run.error.task : ''}: ${run.error?.message ?? ''}`
    );
  }
  return h('span', { class: 'ss-muted' }, run.summary);
}

function history(
  state: IRunsState,
  env: IEnv,
  actions: IPipelineActions
): HTMLElement {
  const rows: HTMLElement[] = [];
  for (const r of state.runs) {
    const outcome = runOutcome(r);
    rows.push(
      h(
        'tr',
        {
          class: `ss-run ss-run-${outcome}`,
          'data-run': r.id,
          'data-outcome': outcome,
          onclick: () => actions.toggle(r.id),
          title: 'show the tasks of this run'
        },
        h(
          'td',
          { title: r.id },
          actions.expanded.has(r.id) ? '▾ ' : '▸ ',
          when(r.started_at)
        ),
        h('td', {}, outcomeBadge(outcome)),
        h(
          'td',
          {},
          r.trigger ?? '—',
          r.kind && r.kind !== 'pipeline'
            ? h('span', { class: 'ss-muted' }, ` (${r.kind})`)
            : null
        ),
        h('td', {}, seconds(r.duration_s)),
        h('td', { class: 'ss-run-result' }, runResult(r)),
        h(
          'td',
          { onclick: (e: Event) => e.stopPropagation() },
          fileLink(env, r.log, 'log')
        )
      )
    );
    if (actions.expanded.has(r.id)) {
      rows.push(
        h(
          'tr',
          { class: 'ss-run-detail' },
          h(
            'td',
            { colspan: 6 },
            h('div', { class: 'ss-muted' }, r.summary),
            outcome === 'alert'
              ? h(
                  'ul',
                  { class: 'ss-alert ss-alert-list' },
                  (r.alerts ?? []).map(a =>
                    h(
                      'li',
                      {},
                      `${a.kind}: ${a.message}`,
                      a.standing ? ' (standing)' : ''
                    )
                  )
                )
              : null,
            outcome === 'failed' && r.error
              ? h(
                  'div',
                  { class: 'ss-error' },
                  `failed in ${r.error.task ?? '?'}: ${r.error.message}`
                )
              : null,
            runDetails(r, env)
          )
        )
      );
    }
  }
  return h(
    'table',
    { class: 'ss-table ss-history' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['started', 'outcome', 'started by', 'duration', 'result', 'log'].map(
          c => h('th', {}, c)
        )
      )
    ),
    h(
      'tbody',
      {},
      rows.length ? rows : h('tr', {}, h('td', { colspan: 6 }, 'No runs yet.'))
    )
  );
}

/** The view's first line: what runs now, or how the last pipeline run ended and how many tasks are outdated. */
export function pipelineVerdict(
  state: IPipelineState,
  last: IRun | undefined
): HTMLElement {
  const outdated = state.tasks.filter(t => t.outdated).length;
  const tasks = state.status_error
    ? ''
    : outdated
      ? ` · ${outdated} of ${state.tasks.length} task(s) outdated`
      : ` · all ${state.tasks.length} task(s) up to date`;
  if (state.running) {
    return h(
      'div',
      { class: 'ss-verdict-line' },
      badge('running'),
      ` a pipeline run is in progress${state.live?.current ? `: ${state.live.current}` : ''}`
    );
  }
  if (!last) {
    return h(
      'div',
      { class: 'ss-verdict-line' },
      badge('unknown', 'no run'),
      ` the pipeline has not run yet${tasks}`
    );
  }
  const outcome = runOutcome(last);
  return h(
    'div',
    { class: 'ss-verdict-line' },
    outcomeBadge(outcome),
    ` last run ${when(last.started_at)} (${last.trigger ?? '?'}): ${outcome}${tasks}`
  );
}

/** Run, force rerun and cancel; force and cancel ask for their confirmation beside their button. */
function toolbar(
  state: IPipelineState,
  envSel: HTMLSelectElement,
  actions: IPipelineActions
): HTMLElement {
  const live = state.live;
  const ask = (text: string, yes: string, go: () => void) =>
    h(
      'span',
      { class: 'ss-confirm', role: 'group', 'aria-label': text },
      ` ${text} `,
      h(
        'button',
        { class: 'ss-button ss-primary ss-confirm-yes', onclick: go },
        yes
      ),
      ' ',
      h(
        'button',
        { class: 'ss-button', onclick: () => actions.confirm?.(null) },
        'Keep as is'
      )
    );
  return h(
    'div',
    { class: 'ss-toolbar' },
    h(
      'button',
      {
        class: 'ss-button ss-primary ss-run-button',
        disabled: state.running,
        onclick: () => actions.run(envSel.value || null)
      },
      state.running ? 'Pipeline running…' : 'Run pipeline'
    ),
    state.env_files?.length ? [' with ', envSel] : null,
    ' ',
    h(
      'button',
      {
        class: 'ss-button ss-force-button',
        disabled: state.running,
        title: 'rerun every task, up to date or not',
        onclick: () => actions.confirm?.('force')
      },
      'Force rerun'
    ),
    live?.pid && actions.cancel
      ? [
          ' ',
          h(
            'button',
            {
              class: 'ss-button ss-cancel-button',
              title: `stop run ${live.id}`,
              onclick: () => actions.confirm?.('cancel')
            },
            'Cancel run'
          )
        ]
      : null,
    actions.confirming === 'force' && !state.running
      ? ask('Rerun every task, even those up to date?', 'Rerun all', () =>
          actions.run(envSel.value || null, true)
        )
      : null,
    actions.confirming === 'cancel' && live
      ? ask(
          `Stop run ${live.id}${live.current ? ` in ${live.current}` : ''}? That task reruns next time.`,
          'Stop the run',
          () => actions.cancel?.(live.id)
        )
      : null,
    actions.confirming
      ? null
      : h(
          'span',
          { class: 'ss-muted' },
          ' builds outdated tasks in the background; closing the browser does not stop it'
        )
  );
}

/** The Pipeline view: run button (with an env override by name), live progress, last failure, tasks, run history. */
export function renderPipeline(
  state: IPipelineState,
  env: IEnv,
  actions: IPipelineActions
): HTMLElement {
  const last = state.runs.find(r => (r.kind ?? 'pipeline') === 'pipeline');
  const envSel = h(
    'select',
    {
      class: 'ss-env',
      title: 'an override file merged over env.yaml',
      'aria-label': 'settings: env.yaml, or an override file merged over it'
    },
    h('option', { value: '' }, 'env.yaml'),
    (state.env_files ?? []).map(f => h('option', { value: f }, `+ ${f}`))
  );
  return h(
    'div',
    { class: 'ss-pipeline' },
    pipelineVerdict(state, last),
    toolbar(state, envSel, actions),
    actions.notice ?? null,
    state.live ? renderProgress(state.live, env) : null,
    !state.live && state.holder
      ? h(
          'div',
          { class: 'ss-notice ss-holder' },
          `A pipeline run is in progress outside the panel: ${state.holder.what} (process ${state.holder.pid}, since ${when(state.holder.since)}).`
        )
      : null,
    !state.running && last && last.outcome === 'failed'
      ? renderFailure(last, env)
      : null,
    jobFailure(state, env),
    h('h3', {}, 'Tasks'),
    state.status_error ? null : renderDag(state, last),
    state.status_error
      ? h(
          'div',
          { class: 'ss-error' },
          `task status unavailable: ${state.status_error}`
        )
      : taskTable(state, env),
    h('h3', {}, 'Run history'),
    history(state, env, actions)
  );
}

/** The Pipeline view, polling while a run is live. */
export class PipelineView extends View {
  private state: IPipelineState | null = null;
  private expanded = new Set<string>();
  private confirming: 'force' | 'cancel' | null = null;

  constructor(env: IEnv) {
    super(env, 'Pipeline');
  }

  async load(): Promise<void> {
    try {
      this.state = await get<IPipelineState>('pipeline');
    } catch (err) {
      return this.showError(err);
    }
    this.env.watch?.pipeline(this.state);
    this.render();
    if (this.state.running && !this.polling) {
      this.poll(() => this.refreshRuns());
    }
  }

  async refreshRuns(): Promise<void> {
    try {
      const runs = await get<IRunsState>('pipeline/runs');
      this.state = { ...(this.state as IPipelineState), ...runs };
      this.env.watch?.pipeline(this.state);
    } catch (err) {
      this.notice = errorBox(err);
    }
    if (!this.state?.running) {
      this.stopPolling();
      return this.load();
    }
    this.render();
  }

  async run(envFile: string | null = null, force = false): Promise<void> {
    const body = {
      ...(envFile ? { env: envFile } : {}),
      ...(force ? { force } : {})
    };
    this.confirming = null;
    if ((await this.send('pipeline/run', body)) === null) {
      return this.render();
    }
    if (this.state) {
      this.state.running = true;
    }
    this.render();
    this.poll(() => this.refreshRuns());
  }

  async cancel(run: string): Promise<void> {
    this.confirming = null;
    this.render();
    await this.send<{ message: string }>(
      'pipeline/cancel',
      { run },
      r => r.message
    );
    this.stopPolling();
    return this.load();
  }

  private render(): void {
    if (!this.state) {
      return;
    }
    this.show(
      renderPipeline(this.state, this.env, {
        run: (e, force) => void this.run(e, force),
        cancel: id => void this.cancel(id),
        confirming: this.confirming,
        confirm: what => {
          this.confirming = what;
          this.render();
        },
        toggle: id => {
          if (this.expanded.has(id)) {
            this.expanded.delete(id);
          } else {
            this.expanded.add(id);
          }
          this.render();
        },
        expanded: this.expanded,
        notice: this.notice
      })
    );
  }
}
