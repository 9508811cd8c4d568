import { IDriftState, IExportState, IRunsState } from '../api';
import { JobWatcher } from '../notify';
import { renderSummary, summaryLines, ISummaryAnswers } from '../summary';
import { ApiError } from '../request';
import { drift, exported, pipeline, scorecard } from './fixtures';

// The recorded build: gate no-go, v0001 in production, the drifted batch uci-adult-2026-09-01.csv newest with an
// alert, no job running.

const answers = (): ISummaryAnswers => ({
  readiness: scorecard(),
  export: exported(),
  drift: drift(),
  runs: pipeline()
});

const texts = (a: ISummaryAnswers) =>
  summaryLines(a).map(l => [l.view, l.label, l.text]);

describe('the sidebar summary', () => {
  it('says what the recorded routes answered: gate, production, last alert, job', () => {
    expect(texts(answers())).toEqual([
      ['readiness', 'Gate', 'NO-GO'],
      ['models', 'Production', 'v0001'],
      ['drift', 'Last alert', 'alert: uci-adult-2026-09-01.csv'],
      ['pipeline', 'Job', 'idle']
    ]);
  });

  it('says "none" when the newest batch was fine, and names a running job', () => {
    const a = answers();
    const d = a.drift as IDriftState;
    d.timeline = [...d.timeline!].reverse(); // the clean batch newest
    const runs = a.runs as IRunsState;
    runs.running = true;
    runs.live = { ...(pipeline().runs[0] as any), current: 'train' };
    (a.export as IExportState).registry!.aliases.production = null as any;
    expect(texts(a).map(t => t[2])).toEqual([
      'NO-GO',
      'none',
      'none',
      'pipeline: train'
    ]);
  });

  it('shows a route error in its own line, not a guess', () => {
    const a = answers();
    a.readiness = new ApiError(404, 'no scorecard yet: run the pipeline');
    const lines = summaryLines(a);
    expect(lines[0]).toMatchObject({
      status: 'unknown',
      text: 'no scorecard yet: run the pipeline'
    });
  });

  it('renders a button per line that opens its view, and an Open dashboard button', () => {
    const open = jest.fn();
    const node = renderSummary(summaryLines(answers()), open);
    const buttons = Array.from(node.querySelectorAll('button'));
    expect(buttons.map(b => b.textContent)).toEqual([
      'GateNO-GO',
      'Productionv0001',
      'Last alertalert: uci-adult-2026-09-01.csv',
      'Jobidle',
      'Open dashboard'
    ]);
    buttons[0].click();
    buttons[4].click();
    expect(open.mock.calls).toEqual([['readiness'], [null]]);
    expect(node.querySelector('.ss-b-no-go')).not.toBeNull();
  });
});

describe('the job watcher', () => {
  it('announces a pipeline run it saw running once, with its outcome', () => {
    const notify = jest.fn();
    const w = new JobWatcher(notify);
    const idle = pipeline();
    w.pipeline(idle);
    expect(notify).not.toHaveBeenCalled(); // nothing was running: nothing to say
    const run = idle.runs[0];
    w.pipeline({ ...idle, running: true, live: { ...run, status: 'running' } });
    w.pipeline(idle);
    w.pipeline(idle);
    expect(notify).toHaveBeenCalledTimes(1);
    expect(notify.mock.calls[0][0]).toBe(
      run.outcome === 'ok' ? 'success' : 'warning'
    );
    expect(notify.mock.calls[0][1]).toContain(`pipeline run ${run.id}`);
  });

  it('announces a failed run as an error', () => {
    const notify = jest.fn();
    const w = new JobWatcher(notify);
    const st = pipeline();
    const run = {
      ...st.runs[0],
      outcome: 'failed' as const,
      status: 'failed' as any,
      error: { task: 'train', message: 'boom' }
    };
    w.pipeline({
      ...st,
      running: true,
      live: { ...run, status: 'running' } as any
    });
    w.pipeline({ ...st, runs: [run as any, ...st.runs] });
    expect(notify.mock.calls).toEqual([
      ['error', expect.stringContaining('failed in train: boom')]
    ]);
  });

  it('announces a finished monitoring job, and a new alert once, but not the alert that stood before', () => {
    const notify = jest.fn();
    const w = new JobWatcher(notify);
    const st = drift();
    w.drift(st); // the recorded alert stood before: not news
    expect(notify).not.toHaveBeenCalled();
    const newer = drift();
    newer.timeline = [
      {
        ...newer.timeline![0],
        batch: 'b9.csv',
        checked_at: '2026-12-02T00:00:00+00:00'
      },
      ...newer.timeline!
    ];
    w.drift(newer);
    w.drift(newer);
    expect(notify.mock.calls).toEqual([
      ['warning', 'Shipshape drift alert: batch b9.csv']
    ]);
    w.drift({
      ...st,
      job: { kind: 'monitor', batch: 'b10.csv', started_at: 'now' }
    });
    w.drift(st);
    expect(notify).toHaveBeenCalledTimes(2);
    expect(notify.mock.calls[1][0]).toBe('warning'); // the recorded last job: exit 1, an alert
    expect(notify.mock.calls[1][1]).toContain('monitoring of');
  });

  it('does not announce the alert of a monitoring job twice when it shows after the job ended', () => {
    const notify = jest.fn();
    const w = new JobWatcher(notify);
    const before = drift();
    before.timeline = before.timeline!.slice(1); // the clean batch only
    w.drift(before); // the first look: the clean batch
    w.drift({
      ...before,
      job: { kind: 'monitor', batch: 'data/incoming', started_at: 't' }
    });
    // the job's batch shows in the timeline while the job still runs, and again after it ended
    w.drift({
      ...drift(),
      job: { kind: 'monitor', batch: 'data/incoming', started_at: 't' }
    });
    w.drift(before); // the job ended (a look that missed the timeline)
    w.drift(drift()); // the alert the job's notice already told
    w.drift(drift());
    expect(notify).toHaveBeenCalledTimes(1);
  });
});
