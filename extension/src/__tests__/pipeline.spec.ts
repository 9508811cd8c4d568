jest.mock('../request', () => ({
  ...jest.requireActual('../request'),
  get: jest.fn(),
  post: jest.fn()
}));

import { IPipelineState, PipelineView, renderPipeline } from '../pipeline';
import { ApiError, get, post } from '../request';
import { makeEnv } from './fixtures';

const P = '/srv/lab/project/products';
const task = (name: string, status: string) => ({
  name,
  status,
  ran: status === 'executed',
  elapsed_s: 1.5,
  report: `${P}/reports/${name}.html`,
  notebook: `${P}/reports/${name}.ipynb`
});

function state(over: Partial<IPipelineState> = {}): IPipelineState {
  return {
    tasks: [
      { name: 'ingest', outdated: false, why: [] },
      { name: 'train', outdated: true, why: ['code or parameters changed'] }
    ],
    runs: [
      {
        id: 'run-2',
        trigger: 'make run',
        status: 'ok',
        started_at: '2026-11-25T18:00:00+00:00',
        duration_s: 34,
        tasks: [task('ingest', 'executed'), task('train', 'executed')],
        log: null
      }
    ],
    job: null,
    live: null,
    running: false,
    ...over
  };
}
const acts = () => ({
  run: jest.fn(),
  toggle: jest.fn(),
  expanded: new Set<string>()
});

describe('renderPipeline', () => {
  it('shows tasks up to date or outdated, with their reports', () => {
    const env = makeEnv();
    const el = renderPipeline(state(), env, acts());
    const rows = el.querySelectorAll('.ss-tasks tbody tr');
    expect(rows[0].textContent).toContain('up to date');
    expect(rows[1].textContent).toContain(
      'outdated code or parameters changed'
    );
    (rows[1].querySelector('a') as HTMLElement).click();
    expect(env.open).toHaveBeenCalledWith(
      'project/products/reports/train.html'
    );
  });

  it('shows live progress with the current task, and disables Run', () => {
    const live = {
      id: 'run-3',
      trigger: 'panel',
      status: 'running',
      current: 'train',
      tasks: [
        task('ingest', 'executed'),
        task('train', 'pending'),
        task('export', 'skipped')
      ]
    };
    const el = renderPipeline(
      state({ running: true, live, runs: [live, ...state().runs] }),
      makeEnv(),
      acts()
    );
    expect(
      (el.querySelector('.ss-run-button') as HTMLButtonElement).disabled
    ).toBe(true);
    expect(el.querySelector('.ss-current')!.textContent).toBe('train');
    expect(el.querySelector('.ss-progress')!.textContent).toContain(
      '1 of 2 task(s) done'
    );
    expect(el.querySelector('.ss-step-current')!.textContent).toContain(
      'running…'
    );
  });

  it('shows a failed run with its failing task and message', () => {
    const failed = {
      id: 'run-4',
      trigger: 'panel',
      status: 'failed',
      tasks: [task('ingest', 'executed'), task('validate', 'errored')],
      error: {
        task: 'validate',
        message: 'ValueError: 12 % of rows quarantined > 5 %'
      },
      log: `${P}/runs/run-4.log`
    };
    const env = makeEnv();
    const el = renderPipeline(state({ runs: [failed] }), env, acts());
    const box = el.querySelector('.ss-run-error')!;
    expect(box.textContent).toContain(
      'Run run-4 failed in task validate: ValueError: 12 % of rows quarantined > 5 %'
    );
    (box.querySelector('a') as HTMLElement).click();
    expect(env.open).toHaveBeenCalledWith(
      'project/products/reports/validate.ipynb'
    );
  });

  it('lists the run history with trigger, duration and per-task details', () => {
    const a = { ...acts(), expanded: new Set(['run-2']) };
    const stale = {
      id: 'run-1',
      trigger: 'scheduled',
      status: 'running',
      alive: false,
      tasks: []
    };
    const el = renderPipeline(
      state({ runs: [...state().runs, stale] }),
      makeEnv(),
      a
    );
    const rows = el.querySelectorAll('.ss-history tr.ss-run');
    expect(rows[0].textContent).toContain('make run');
    expect(rows[0].textContent).toContain('34.0 s');
    expect(rows[1].textContent).toContain('interrupted');
    expect(el.querySelector('.ss-run-detail')!.textContent).toContain(
      'notebook (task log)'
    );
    (rows[1] as HTMLElement).click();
    expect(a.toggle).toHaveBeenCalledWith('run-1');
  });
});

describe('PipelineView', () => {
  beforeEach(() => jest.resetAllMocks());

  it('shows the refusal when a run is already in progress', async () => {
    (get as jest.Mock).mockResolvedValue(state());
    (post as jest.Mock).mockRejectedValue(
      new ApiError(
        409,
        'a pipeline run is already in progress (run run-9, started by make run)'
      )
    );
    const v = new PipelineView(makeEnv());
    await v.load();
    await v.run();
    expect(v.node.querySelector('.ss-error')!.textContent).toContain(
      'already in progress (run run-9, started by make run)'
    );
    expect(v.polling).toBe(false);
  });

  it('polls while a run is live and reloads when it ends', async () => {
    jest.useFakeTimers();
    const live = {
      id: 'run-3',
      trigger: 'panel',
      status: 'running',
      current: 'ingest',
      tasks: [task('ingest', 'pending')]
    };
    (get as jest.Mock).mockImplementation(async (p: string) =>
      p === 'pipeline'
        ? state()
        : { runs: [live], live, job: {}, running: true }
    );
    (post as jest.Mock).mockResolvedValue({ job: { id: 'run-3' } });
    const v = new PipelineView(makeEnv());
    await v.load();
    await v.run();
    expect(v.polling).toBe(true);
    await jest.advanceTimersByTimeAsync(2100);
    expect(v.node.querySelector('.ss-current')!.textContent).toBe('ingest');
    (get as jest.Mock).mockImplementation(async () => state());
    await jest.advanceTimersByTimeAsync(2100);
    expect(v.polling).toBe(false);
    expect(v.node.querySelector('.ss-progress')).toBeNull();
    jest.useRealTimers();
  });

  it('shows a server error instead of the view', async () => {
    (get as jest.Mock).mockRejectedValue(
      new ApiError(500, 'ParserError: pipeline.yaml is broken')
    );
    const v = new PipelineView(makeEnv());
    await v.load();
    expect(v.node.querySelector('.ss-error')!.textContent).toContain(
      'pipeline.yaml is broken'
    );
  });
});
