jest.mock('../request', () => ({
  ...jest.requireActual('../request'),
  get: jest.fn(),
  post: jest.fn()
}));

import { IPipelineState, IRun } from '../api';
import {
  PipelineView,
  directInputs,
  layers,
  renderDag,
  renderPipeline
} from '../pipeline';
import { ApiError, get, post } from '../request';
import { makeEnv, pipeline } from './fixtures';

// The recorded pipeline state is the real test build's: every task up to date; the history holds the monitoring
// run with the drift alert, the clean monitoring run before it, and the `make run` build.

const acts = () => ({
  run: jest.fn(),
  toggle: jest.fn(),
  expanded: new Set<string>()
});

/** The recorded build's run record, as a copy to change. */
function build(st: IPipelineState): IRun {
  return JSON.parse(JSON.stringify(st.runs.find(r => r.kind === 'pipeline')));
}

/** The recorded build as a live run in task `current`; `done` tasks executed and the rest pending, when given. */
function liveRun(st: IPipelineState, current: string, done?: number): IRun {
  const live = build(st);
  live.status = 'running';
  live.outcome = null;
  live.current = current;
  if (done !== undefined) {
    live.tasks = live.tasks.map((t, i) => ({
      ...t,
      status: i < done ? 'executed' : 'pending'
    }));
  }
  return live;
}

/** The recorded build as a run that failed with `error`. */
function failedRun(st: IPipelineState, error: IRun['error']): IRun {
  const failed = build(st);
  failed.status = failed.outcome = 'failed';
  failed.error = error;
  return failed;
}

describe('renderPipeline', () => {
  it('shows tasks up to date or outdated, with their reports', () => {
    const st = pipeline();
    st.tasks[4] = {
      ...st.tasks[4],
      outdated: true,
      why: ['code or parameters changed']
    };
    const env = makeEnv();
    const el = renderPipeline(st, env, acts());
    const rows = el.querySelectorAll('.ss-tasks tbody tr');
    expect(rows.length).toBe(9);
    expect(rows[0].textContent).toContain('ingest');
    expect(rows[0].textContent).toContain('up to date');
    expect(rows[4].textContent).toContain(
      'outdated code or parameters changed'
    );
    (rows[4].querySelector('a') as HTMLElement).click();
    expect(env.open).toHaveBeenCalledWith(
      `project/products/uci-adult/runs/${build(st).id}/reports/${st.tasks[4].name}.html`
    );
  });

  it('shows a monitoring alert in the history as an alert, not a failure', () => {
    const el = renderPipeline(pipeline(), makeEnv(), acts());
    const rows = [...el.querySelectorAll('.ss-history tr.ss-run')];
    expect(rows.map(r => r.getAttribute('data-outcome'))).toEqual([
      'alert',
      'ok',
      'ok'
    ]);
    const alert = rows[0];
    expect(alert.querySelector('.ss-badge')!.textContent).toBe('alert');
    expect(alert.querySelector('.ss-badge')!.className).toBe(
      'ss-badge ss-b-alert'
    );
    expect(alert.querySelector('.ss-run-result')!.textContent).toBe(
      'alert: uci-adult-2026-09-01.csv: data drift in education-num, age, education, workclass; ' +
        'uci-adult-2026-09-01.csv: prediction drift (psi 0.187 > 0.1)'
    );
    expect(alert.textContent).not.toContain('failed');
    expect(el.querySelector('.ss-error')).toBeNull();
    expect(rows[2].textContent).toContain('make run');
  });

  it('lists an alert run’s alerts when expanded, without an error box', () => {
    const st = pipeline();
    const a = { ...acts(), expanded: new Set([st.runs[0].id]) };
    const el = renderPipeline(st, makeEnv(), a);
    const detail = el.querySelector('.ss-run-detail')!;
    expect(
      [...detail.querySelectorAll('.ss-alert-list li')].map(l => l.textContent)
    ).toEqual([
      'data drift: uci-adult-2026-09-01.csv: data drift in education-num, age, education, workclass',
      'prediction drift: uci-adult-2026-09-01.csv: prediction drift (psi 0.187 > 0.1)'
    ]);
    expect(detail.querySelector('.ss-error')).toBeNull();
    (el.querySelectorAll('.ss-history tr.ss-run')[2] as HTMLElement).click();
    expect(a.toggle).toHaveBeenCalledWith(st.runs[2].id);
  });

  it('shows live progress with the current task, and disables Run', () => {
    const st = pipeline();
    const live = liveRun(st, 'train', 3);
    const el = renderPipeline(
      { ...st, running: true, live, runs: [live, ...st.runs] },
      makeEnv(),
      acts()
    );
    expect(
      (el.querySelector('.ss-run-button') as HTMLButtonElement).disabled
    ).toBe(true);
    expect(el.querySelector('.ss-current')!.textContent).toBe('train');
    expect(el.querySelector('.ss-progress')!.textContent).toContain(
      '3 of 9 task(s) done'
    );
    expect(el.querySelector('.ss-step-current')!.textContent).toContain(
      'running…'
    );
  });

  it('shows a failed run with its failing task and message', () => {
    const st = pipeline();
    const failed = failedRun(st, {
      task: 'validate',
      message: 'ValueError: 12 % of rows quarantined > 5 %'
    });
    failed.tasks[1].status = 'errored';
    const env = makeEnv();
    const el = renderPipeline({ ...st, runs: [failed] }, env, acts());
    const box = el.querySelector('.ss-run-error')!;
    expect(box.textContent).toContain(
      `Run ${failed.id} failed in task validate: ValueError: 12 % of rows quarantined > 5 %`
    );
    (box.querySelector('a') as HTMLElement).click();
    expect(env.open).toHaveBeenCalledWith(
      `project/products/uci-adult/runs/${failed.id}/reports/validate.ipynb`
    );
    expect(el.querySelector('.ss-history tr.ss-run .ss-badge')!.className).toBe(
      'ss-badge ss-b-failed'
    );
  });

  it('says in words which step stopped, and names the setting its message names', () => {
    const st = pipeline();
    // as tests/test_pipeline.py's failed build records it
    const failed = failedRun(st, {
      task: 'validate',
      message:
        "ValueError: dataset.columns declares 'age' as label, but dataset.target is 'income'",
      plain:
        'The validate step stopped: dataset.columns declares \'age\' as label, but dataset.target is \'income\' The message names the setting dataset.columns (it was {"age": {"role": "label"}}): change it in env.yaml, or in the override file the run used, and run again.',
      parameter: {
        setting: 'dataset.columns',
        value: { age: { role: 'label' } }
      }
    });
    failed.tasks[1].status = 'errored';
    const el = renderPipeline({ ...st, runs: [failed] }, makeEnv(), acts());
    const box = el.querySelector('.ss-run-error')!;
    expect(box.querySelector('.ss-plain')!.textContent).toMatch(
      /^The validate step stopped: /
    );
    expect(box.querySelector('.ss-blamed')!.textContent).toBe(
      'Setting to check: dataset.columns = {"age":{"role":"label"}}'
    );
    expect(box.textContent).toContain(
      "Raised: ValueError: dataset.columns declares 'age' as label"
    );
  });

  it('says a killed run was killed', () => {
    const st = pipeline();
    const killed = build(st);
    killed.status = killed.outcome = 'failed';
    killed.killed = true;
    killed.error = {
      task: 'train',
      message: 'killed: process 4242 ended without finishing the run'
    };
    const el = renderPipeline({ ...st, runs: [killed] }, makeEnv(), acts());
    expect(el.querySelector('.ss-run-result')!.textContent).toBe(
      'failed (killed) in train: killed: process 4242 ended without finishing the run'
    );
  });

  it('shows a panel job that failed before it wrote a run record, with its log tail', () => {
    const st = pipeline();
    st.last_job = {
      kind: 'pipeline',
      id: 'run-x',
      log: '/srv/lab/project/products/runs/run-x.log',
      started_at: '2026-12-01T17:00:00+00:00',
      finished_at: '2026-12-01T17:00:09+00:00',
      returncode: 2,
      outcome: 'failed',
      log_tail:
        'shipshape run: error: .pipeline.lock is held by pipeline build run-y (make run)'
    };
    const el = renderPipeline(st, makeEnv(), acts());
    const box = el.querySelector('.ss-job-error')!;
    expect(box.textContent).toContain('failed (exit 2: failed)');
    expect(box.querySelector('pre')!.textContent).toContain(
      '.pipeline.lock is held by pipeline build run-y (make run)'
    );
  });

  it('names a run in progress outside the panel', () => {
    const st = pipeline();
    const el = renderPipeline(
      {
        ...st,
        running: true,
        holder: {
          pid: 4242,
          what: 'pipeline build run-y (make run)',
          since: '2026-12-01T17:00:00+00:00'
        }
      },
      makeEnv(),
      acts()
    );
    expect(el.querySelector('.ss-holder')!.textContent).toContain(
      'pipeline build run-y (make run) (process 4242'
    );
    expect(
      (el.querySelector('.ss-run-button') as HTMLButtonElement).disabled
    ).toBe(true);
  });

  it('runs with an override file chosen by name', () => {
    const a = acts();
    const el = renderPipeline(pipeline(), makeEnv(), a);
    const sel = el.querySelector('.ss-env') as HTMLSelectElement;
    expect([...sel.options].map(o => o.value)).toEqual(['', 'env.test.yaml']);
    sel.value = 'env.test.yaml';
    (el.querySelector('.ss-run-button') as HTMLButtonElement).click();
    expect(a.run).toHaveBeenCalledWith('env.test.yaml');
  });
});

describe('the pipeline graph', () => {
  it('lays the recorded tasks out in the order their inputs allow, with only the direct edges', () => {
    const st = pipeline();
    expect(layers(st.tasks).map(l => l.map(t => t.name))).toEqual([
      ['ingest'],
      ['validate'],
      ['features'],
      ['train'],
      ['evaluate'],
      ['export'],
      ['register'],
      ['readiness'],
      ['report']
    ]);
    const train = st.tasks.find(t => t.name === 'train')!;
    expect(train.upstream).toEqual(['features', 'validate']);
    expect(directInputs(train, st.tasks)).toEqual(['features']); // validate is read through features too
  });

  it('puts tasks that read from the same input side by side in one layer', () => {
    const tasks = [
      { name: 'a', outdated: false, why: [], upstream: [] },
      { name: 'b', outdated: false, why: [], upstream: ['a'] },
      { name: 'c', outdated: true, why: ['never built'], upstream: ['a'] },
      {
        name: 'd',
        outdated: true,
        why: ['upstream changed'],
        upstream: ['b', 'c']
      }
    ];
    expect(layers(tasks).map(l => l.map(t => t.name))).toEqual([
      ['a'],
      ['b', 'c'],
      ['d']
    ]);
    expect(directInputs(tasks[3], tasks)).toEqual(['b', 'c']);
  });

  it('shows each task up to date or outdated when nothing runs, and the live state while a run is live', () => {
    const st = pipeline();
    st.tasks[3] = {
      ...st.tasks[3],
      outdated: true,
      why: ['code or parameters changed']
    };
    const idle = renderDag(st, undefined);
    const node = (el: HTMLElement, name: string) =>
      el.querySelector(`.ss-dag-node[data-task='${name}']`)!;
    expect(node(idle, 'train').className).toContain('ss-dag-outdated');
    expect(node(idle, 'train').textContent).toContain(
      'code or parameters changed'
    );
    expect(node(idle, 'ingest').className).toContain('ss-dag-ok');
    const live = liveRun(st, 'train', 3);
    const running = renderDag({ ...st, live, running: true }, live);
    expect(node(running, 'train').textContent).toContain('running…');
    expect(node(running, 'features').textContent).toContain('done');
    expect(node(running, 'report').textContent).toContain('waiting');
  });

  it('marks the task a failed run stopped in', () => {
    const st = pipeline();
    const failed = failedRun(st, {
      task: 'validate',
      message: 'ValueError: x'
    });
    st.tasks[1] = { ...st.tasks[1], outdated: true, why: ['never built'] };
    const el = renderDag({ ...st, runs: [failed] }, failed);
    expect(
      el.querySelector(".ss-dag-node[data-task='validate']")!.className
    ).toContain('ss-dag-failed');
  });
});

describe('force rerun and cancel', () => {
  it('asks before a forced rerun, beside the button', () => {
    const a = {
      ...acts(),
      confirm: jest.fn(),
      confirming: null as 'force' | 'cancel' | null
    };
    let el = renderPipeline(pipeline(), makeEnv(), a);
    (el.querySelector('.ss-force-button') as HTMLButtonElement).click();
    expect(a.confirm).toHaveBeenCalledWith('force');
    expect(a.run).not.toHaveBeenCalled();
    el = renderPipeline(pipeline(), makeEnv(), { ...a, confirming: 'force' });
    expect(el.querySelector('.ss-toolbar .ss-confirm')!.textContent).toContain(
      'Rerun every task, even those up to date?'
    );
    (el.querySelector('.ss-confirm-yes') as HTMLButtonElement).click();
    expect(a.run).toHaveBeenCalledWith(null, true);
  });

  it('offers Cancel only for a live run with a process, and names the run it stops', () => {
    const st = pipeline();
    const a = {
      ...acts(),
      cancel: jest.fn(),
      confirm: jest.fn(),
      confirming: null as 'force' | 'cancel' | null
    };
    expect(
      renderPipeline(st, makeEnv(), a).querySelector('.ss-cancel-button')
    ).toBeNull();
    const live = liveRun(st, 'train');
    live.pid = 4242;
    const busy = { ...st, live, running: true, runs: [live, ...st.runs] };
    const el = renderPipeline(busy, makeEnv(), { ...a, confirming: 'cancel' });
    expect(
      (el.querySelector('.ss-force-button') as HTMLButtonElement).disabled
    ).toBe(true);
    expect(el.querySelector('.ss-confirm')!.textContent).toContain(
      `Stop run ${live.id} in train?`
    );
    (el.querySelector('.ss-confirm-yes') as HTMLButtonElement).click();
    expect(a.cancel).toHaveBeenCalledWith(live.id);
  });
});

describe('PipelineView', () => {
  beforeEach(() => jest.resetAllMocks());

  it('shows the refusal when a run is already in progress', async () => {
    (get as jest.Mock).mockResolvedValue(pipeline());
    (post as jest.Mock).mockRejectedValue(
      new ApiError(
        409,
        'a pipeline run is already in progress (pipeline build run-y (make run), process 4242, since …); wait for it to finish'
      )
    );
    const v = new PipelineView(makeEnv());
    await v.load();
    await v.run('env.test.yaml');
    expect(post).toHaveBeenCalledWith('pipeline/run', { env: 'env.test.yaml' });
    expect(v.node.querySelector('.ss-error')!.textContent).toContain(
      'already in progress (pipeline build run-y (make run)'
    );
    expect(v.polling).toBe(false);
  });

  it('polls while a run is live and reloads when it ends', async () => {
    jest.useFakeTimers();
    const st = pipeline();
    const live = liveRun(st, 'ingest');
    (get as jest.Mock).mockImplementation(async (p: string) =>
      p === 'pipeline'
        ? pipeline()
        : { ...st, runs: [live, ...st.runs], live, running: true }
    );
    (post as jest.Mock).mockResolvedValue({ job: { id: live.id } });
    const v = new PipelineView(makeEnv());
    await v.load();
    await v.run();
    expect(post).toHaveBeenCalledWith('pipeline/run', {});
    expect(v.polling).toBe(true);
    await jest.advanceTimersByTimeAsync(2100);
    expect(v.node.querySelector('.ss-current')!.textContent).toBe('ingest');
    (get as jest.Mock).mockImplementation(async () => pipeline());
    await jest.advanceTimersByTimeAsync(2100);
    expect(v.polling).toBe(false);
    expect(v.node.querySelector('.ss-progress')).toBeNull();
    jest.useRealTimers();
  });

  it('cancels the live run by its id and shows what the server says', async () => {
    const st = pipeline();
    (get as jest.Mock).mockResolvedValue(st);
    (post as jest.Mock).mockResolvedValue({
      message: 'run run-x cancelled in task train'
    });
    const v = new PipelineView(makeEnv());
    await v.load();
    await v.cancel('run-x');
    expect(post).toHaveBeenCalledWith('pipeline/cancel', { run: 'run-x' });
    expect(v.node.querySelector('.ss-ok')!.textContent).toBe(
      'run run-x cancelled in task train'
    );
  });

  it('shows a server error instead of the view', async () => {
    (get as jest.Mock).mockRejectedValue(
      new ApiError(
        409,
        "the project's configuration cannot be used: 1 problem in the configuration"
      )
    );
    const v = new PipelineView(makeEnv());
    await v.load();
    expect(v.node.querySelector('.ss-error')!.textContent).toContain(
      'configuration cannot be used'
    );
  });
});
