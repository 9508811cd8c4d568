import { IEnv, fileLink } from './context';
import { badge, fmt, h, seconds, when } from './dom';
import { get } from './request';
import { View, errorBox } from './view';

export interface IRunTask {
  name: string;
  status: string;
  ran?: boolean;
  finished_at?: string | null;
  elapsed_s?: number;
  report?: string | null;
  notebook?: string | null;
  key_figures?: { [k: string]: unknown };
}

export interface IRun {
  id: string;
  kind?: string;
  trigger?: string;
  status: string;
  started_at?: string | null;
  finished_at?: string | null;
  duration_s?: number;
  current?: string | null;
  tasks?: IRunTask[];
  error?: { task: string | null; message: string } | null;
  log?: string | null;
  alive?: boolean;
}

export interface IPipelineState {
  tasks: { name: string; outdated: boolean; why: string[] }[];
  runs: IRun[];
  job: { [k: string]: any } | null;
  live: IRun | null;
  running: boolean;
  status_error?: string;
}

export interface IPipelineActions {
  run(): void;
  toggle(id: string): void;
  expanded: Set<string>;
  notice?: HTMLElement | null;
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

/** A failed run's failing task and message. */
export function renderFailure(run: IRun, env: IEnv): HTMLElement {
  const task = (run.tasks ?? []).find(t => t.name === run.error?.task);
  return h(
    'div',
    { class: 'ss-error ss-run-error', role: 'alert' },
    h('b', {}, `Run ${run.id} failed`),
    run.error?.task ? [' in task ', h('b', {}, run.error.task)] : null,
    ': ',
    h('code', {}, run.error?.message ?? 'unknown error'),
    task ? [' — ', fileLink(env, task.notebook, 'executed notebook')] : null,
    run.log ? [' · ', fileLink(env, run.log, 'log')] : null
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

function history(
  state: IPipelineState,
  env: IEnv,
  actions: IPipelineActions
): HTMLElement {
  const rows: HTMLElement[] = [];
  for (const r of state.runs) {
    const status =
      r.status === 'running' && r.alive === false ? 'interrupted' : r.status;
    rows.push(
      h(
        'tr',
        {
          class: 'ss-run',
          'data-run': r.id,
          onclick: () => actions.toggle(r.id),
          title: 'show the tasks of this run'
        },
        h(
          'td',
          { title: r.id },
          actions.expanded.has(r.id) ? '▾ ' : '▸ ',
          when(r.started_at)
        ),
        h('td', {}, badge(status)),
        h(
          'td',
          {},
          r.trigger ?? '—',
          r.kind && r.kind !== 'pipeline'
            ? h('span', { class: 'ss-muted' }, ` (${r.kind})`)
            : null
        ),
        h('td', {}, seconds(r.duration_s)),
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
            { colspan: 5 },
            h('div', { class: 'ss-muted' }, r.id),
            r.error
              ? h(
                  'div',
                  { class: 'ss-error' },
                  `failed in ${r.error.task ?? '?'}: ${r.error.message}`
                )
              : null,
            status === 'interrupted'
              ? h(
                  'div',
                  { class: 'ss-notice' },
                  'Marked running, but no process is running it: the run was interrupted.'
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
        ['started', 'status', 'started by', 'duration', 'log'].map(c =>
          h('th', {}, c)
        )
      )
    ),
    h(
      'tbody',
      {},
      rows.length ? rows : h('tr', {}, h('td', { colspan: 5 }, 'No runs yet.'))
    )
  );
}

/** The Pipeline view: run button, live progress, last failure, tasks, run history. */
export function renderPipeline(
  state: IPipelineState,
  env: IEnv,
  actions: IPipelineActions
): HTMLElement {
  const last = state.runs.find(r => (r.kind ?? 'pipeline') === 'pipeline');
  return h(
    'div',
    { class: 'ss-pipeline' },
    h(
      'div',
      { class: 'ss-toolbar' },
      h(
        'button',
        {
          class: 'ss-button ss-primary ss-run-button',
          disabled: state.running,
          onclick: () => actions.run()
        },
        state.running ? 'Pipeline running…' : 'Run pipeline'
      ),
      h(
        'span',
        { class: 'ss-muted' },
        ' builds outdated tasks in the background; closing the browser does not stop it'
      )
    ),
    actions.notice ?? null,
    state.live ? renderProgress(state.live, env) : null,
    !state.running && last && last.status === 'failed'
      ? renderFailure(last, env)
      : null,
    h('h3', {}, 'Tasks'),
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

  constructor(env: IEnv) {
    super(env, 'Pipeline');
  }

  async load(): Promise<void> {
    try {
      this.state = await get<IPipelineState>('pipeline');
    } catch (err) {
      return this.showError(err);
    }
    this.render();
    if (this.state.running && !this.polling) {
      this.poll(() => this.refreshRuns());
    }
  }

  async refreshRuns(): Promise<void> {
    try {
      const runs = await get<IPipelineState>('pipeline/runs');
      this.state = { ...(this.state as IPipelineState), ...runs };
    } catch (err) {
      this.notice = errorBox(err);
    }
    if (!this.state?.running) {
      this.stopPolling();
      return this.load();
    }
    this.render();
  }

  async run(): Promise<void> {
    if ((await this.send('pipeline/run', {})) === null) {
      return this.render();
    }
    if (this.state) {
      this.state.running = true;
    }
    this.render();
    this.poll(() => this.refreshRuns());
  }

  private render(): void {
    if (!this.state) {
      return;
    }
    this.show(
      renderPipeline(this.state, this.env, {
        run: () => void this.run(),
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
