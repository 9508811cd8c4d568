jest.mock('../request', () => ({
  ...jest.requireActual('../request'),
  get: jest.fn(),
  post: jest.fn()
}));

import {
  DriftView,
  driftColumns,
  renderDrift,
  renderHistogram
} from '../drift';
import { ApiError, get, post } from '../request';
import { drift, makeEnv } from './fixtures';

// The recorded drift state is the real test build's after two monitoring runs from the panel: a clean batch
// (ok), then a batch with planted drift: the alert fired on age, education, education-num and workclass, and on
// the model's scores (exit 1, outcome alert).

const acts = () => ({ select: jest.fn(), selected: null, run: jest.fn() });

describe('drift rendering', () => {
  it('reads the columns of the typed report by name, most severe first', () => {
    const report = drift().report!;
    expect(driftColumns(report).map(c => c.column)).toEqual([
      'age',
      'education',
      'education-num',
      'workclass',
      'capital-gain',
      'capital-loss',
      'hours-per-week',
      'marital-status',
      'native-country',
      'occupation',
      'relationship'
    ]);
    expect(
      driftColumns(report)
        .map(c => c.severity)
        .slice(0, 5)
    ).toEqual(['high', 'high', 'high', 'moderate', 'watch']);
  });

  it('shows the batch, when it was checked, the model and the batch health from typed fields', () => {
    const el = renderDrift(drift(), makeEnv(), acts());
    const head = el.querySelector('.ss-header')!.textContent!;
    expect(head).toContain(
      'Batch: uci-adult-2026-09-01.csv · checked 2026-12-02 04:12:39 UTC against v0001 · 15836 rows'
    );
    expect(head).not.toContain('—');
    expect(el.querySelector('.ss-health')!.textContent).toBe(
      'rows in 16014, valid 15836, quarantined 178 (1.112 %) · health warn'
    );
    expect(head).toContain(
      '4 of 11 feature(s) drifted · prediction drift: yes · concept drift: no'
    );
  });

  it('shows the standing drift alert as an alert, in its own words', () => {
    const el = renderDrift(drift(), makeEnv(), acts());
    const box = el.querySelector('.ss-alert')!;
    expect(box.getAttribute('role')).toBe('alert');
    expect(box.querySelector('.ss-verdict-alert')!.textContent).toBe(
      'alert: drift in education-num, age, education, workclass; prediction drift'
    );
    expect(box.textContent).toContain(
      'standing since run monitor-20261202-041157-f616bf'
    );
    expect(el.querySelector('.ss-error')).toBeNull();
    const last = el.querySelector('.ss-last-job')!;
    expect(last.classList.contains('ss-last-alert')).toBe(true);
    expect(last.textContent).toContain('(exit 1: alert)');
    expect(last.querySelector('.ss-badge')!.textContent).toBe('alert');
    expect(el.querySelector('pre')).toBeNull(); // an alert has no log tail
  });

  it('drops the alert once a newer verdict says all clear', () => {
    const st = drift();
    st.status = {
      ...st.status!,
      outcome: 'ok',
      alerts: [],
      message: '1 file(s) taken, 1 batch(es) drift-checked: all clear'
    };
    const el = renderDrift(st, makeEnv(), acts());
    expect(el.querySelector('.ss-alert')).toBeNull();
    expect(el.querySelector('.ss-verdict-ok')!.textContent).toContain(
      'all clear'
    );
  });

  it('lists alerts other than the report’s drift (a rejected file) under the drift alert', () => {
    const st = drift();
    st.status!.alerts.push({
      kind: 'file rejected',
      layer: 'data',
      message: 'b3.csv: wrong delimiter',
      file: 'b3.csv'
    });
    const el = renderDrift(st, makeEnv(), acts());
    expect(
      [...el.querySelectorAll('.ss-alert .ss-alert-list li')].map(
        li => li.textContent
      )
    ).toEqual(['file rejected: b3.csv: wrong delimiter']);
  });

  it('draws the reference and current distributions as shares', () => {
    const age = drift().report!.columns.age.histogram!;
    const svg = renderHistogram('age', age);
    expect(svg.querySelectorAll('rect.ss-ref').length).toBe(
      age.edges!.length - 1
    );
    expect(svg.querySelectorAll('rect.ss-cur').length).toBe(
      age.edges!.length - 1
    );
    expect(svg.querySelector('rect.ss-ref title')!.textContent).toMatch(
      /^[-\d.e]+–[-\d.e]+: reference [\d.e-]+ %$/
    );
  });

  it('shows the most severe feature first with its figures, and selects on click', () => {
    const a = acts();
    const el = renderDrift(drift(), makeEnv(), a);
    const rows = el.querySelectorAll('.ss-drift-row');
    expect(rows[0].getAttribute('data-column')).toBe('age');
    expect(el.querySelector('.ss-hist')!.getAttribute('data-column')).toBe(
      'age'
    );
    expect(
      [...el.querySelectorAll('.ss-drift-table th')].map(t => t.textContent)
    ).toEqual([
      'feature',
      'severity',
      'kind',
      'method',
      'statistic',
      'threshold',
      'p_value'
    ]);
    expect(rows[0].textContent).toContain('high');
    expect(rows[0].textContent).toContain('psi');
    (rows[3] as HTMLElement).click();
    expect(a.select).toHaveBeenCalledWith('workclass');
  });

  it('keeps the batch chooser when no report exists yet', () => {
    const a = acts();
    const st = drift();
    const el = renderDrift(
      {
        ...st,
        report: null,
        status: null,
        path: null,
        last_job: null,
        message:
          'No monitoring report yet: run the monitoring job on a batch (`make monitor`).'
      },
      makeEnv(),
      a
    );
    expect(el.querySelector('.ss-notice')!.textContent).toContain(
      'No monitoring report yet'
    );
    expect((el.querySelector('.ss-batch') as HTMLInputElement).value).toBe(
      'data/incoming'
    );
    (el.querySelector('.ss-monitor-button') as HTMLButtonElement).click();
    expect(a.run).toHaveBeenCalledWith('data/incoming');
  });

  it('shows a running job, and a failed one (exit 2) with its log tail', () => {
    const st = drift();
    const running = renderDrift(
      {
        ...st,
        job: {
          kind: 'monitor',
          batch: 'data/incoming',
          started_at: '2026-12-01T17:00:00+00:00'
        }
      },
      makeEnv(),
      acts()
    );
    expect(
      (running.querySelector('.ss-monitor-button') as HTMLButtonElement)
        .disabled
    ).toBe(true);
    expect(running.querySelector('.ss-last-job')).toBeNull();
    const failed = renderDrift(
      {
        ...st,
        last_job: {
          ...st.last_job!,
          returncode: 2,
          outcome: 'failed',
          summary: undefined,
          log_tail: 'shipshape monitor: error: 1 problem in the configuration'
        }
      },
      makeEnv(),
      acts()
    );
    const box = failed.querySelector('.ss-last-job.ss-error')!;
    expect(box.textContent).toContain('failed (exit 2: failed)');
    expect(box.querySelector('pre')!.textContent).toBe(
      'shipshape monitor: error: 1 problem in the configuration'
    );
  });
});

describe('DriftView', () => {
  beforeEach(() => jest.resetAllMocks());

  it('shows why a monitoring run was refused', async () => {
    (get as jest.Mock).mockResolvedValue(drift());
    (post as jest.Mock).mockRejectedValue(
      new ApiError(
        400,
        "batch: '../x.csv' contains '..'; paths must stay inside the project root",
        { field: 'batch' }
      )
    );
    const v = new DriftView(makeEnv());
    await v.load();
    await v.run('../x.csv');
    expect(v.node.querySelector('.ss-error')!.textContent).toContain(
      'paths must stay inside the project root'
    );
    expect(v.node.querySelector('.ss-alert')).not.toBeNull();
  });
});
