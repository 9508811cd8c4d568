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
import { makeEnv } from './fixtures';

const report = {
  batch: 'data/incoming/b1.csv',
  drift: {
    columns: {
      age: {
        severity: 'watch',
        drifted: false,
        method: 'ks',
        statistic: 0.02,
        threshold: 0.025,
        histogram: {
          edges: [17, 30, 50, 90],
          reference: [0.3, 0.5, 0.2],
          current: [0.28, 0.52, 0.2]
        }
      },
      'hours-per-week': {
        severity: 'high',
        drifted: true,
        method: 'ks',
        statistic: 0.41,
        threshold: 0.05,
        reason: 'ks above threshold',
        histogram: {
          edges: [0, 40, 99],
          reference: [0.6, 0.4],
          current: [0.2, 0.8]
        }
      },
      workclass: {
        severity: 'moderate',
        drifted: true,
        method: 'chi2',
        statistic: 0.12,
        threshold: 0.1,
        histogram: {
          categories: ['Private', 'Self-emp'],
          reference: [0.9, 0.1],
          current: [0.7, 0.3]
        }
      },
      fnlwgt: {
        severity: 'n/a',
        drifted: false,
        reason: 'only 3 current rows',
        histogram: null
      }
    }
  }
};
const acts = () => ({ select: jest.fn(), selected: null, run: jest.fn() });

describe('drift rendering', () => {
  it('sorts features by severity', () => {
    expect(driftColumns(report).map(c => c.column)).toEqual([
      'hours-per-week',
      'workclass',
      'age',
      'fnlwgt'
    ]);
  });

  it('draws the reference and current distributions as shares', () => {
    const svg = renderHistogram('age', report.drift.columns.age.histogram);
    expect(svg.querySelectorAll('rect.ss-ref').length).toBe(3);
    expect(svg.querySelectorAll('rect.ss-cur').length).toBe(3);
    expect(svg.querySelector('rect.ss-ref title')!.textContent).toBe(
      '17–30: reference 30 %'
    );
  });

  it('shows the most severe feature first and selects on click', () => {
    const a = acts();
    const el = renderDrift(
      { report, batches: [], job: null, last_job: null },
      makeEnv(),
      a
    );
    const rows = el.querySelectorAll('.ss-drift-row');
    expect(rows[0].getAttribute('data-column')).toBe('hours-per-week');
    expect(el.querySelector('.ss-hist')!.getAttribute('data-column')).toBe(
      'hours-per-week'
    );
    expect(el.textContent).toContain('2 of 4 feature(s) drifted');
    expect(
      [...el.querySelectorAll('.ss-drift-table th')].map(t => t.textContent)
    ).toEqual(['feature', 'severity', 'method', 'statistic', 'threshold']);
    expect(el.querySelector('.ss-hist-box')!.textContent).toContain(
      'ks above threshold'
    );
    const wc = renderHistogram(
      'workclass',
      report.drift.columns.workclass.histogram
    );
    expect(wc.querySelector('rect.ss-cur title')!.textContent).toBe(
      'Private: current 70 %'
    );
    (rows[2] as HTMLElement).click();
    expect(a.select).toHaveBeenCalledWith('age');
  });

  it('runs the monitoring job on the chosen batch', () => {
    const a = acts();
    const el = renderDrift(
      {
        report: null,
        message: 'no monitoring report exists yet',
        batches: ['data/incoming/b2.csv'],
        job: null,
        last_job: null
      },
      makeEnv(),
      a
    );
    expect(el.querySelector('.ss-notice')!.textContent).toContain(
      'no monitoring report exists yet'
    );
    expect((el.querySelector('.ss-batch') as HTMLInputElement).value).toBe(
      'data/incoming/b2.csv'
    );
    (el.querySelector('.ss-monitor-button') as HTMLButtonElement).click();
    expect(a.run).toHaveBeenCalledWith('data/incoming/b2.csv');
  });

  it('shows a running job and a failed last job', () => {
    const running = renderDrift(
      {
        report,
        batches: [],
        job: { batch: 'b.csv', started_at: 'x' },
        last_job: null
      },
      makeEnv(),
      acts()
    );
    expect(
      (running.querySelector('.ss-monitor-button') as HTMLButtonElement)
        .disabled
    ).toBe(true);
    const failed = renderDrift(
      {
        report,
        batches: [],
        job: null,
        last_job: {
          batch: 'b.csv',
          returncode: 2,
          log_tail: 'ValueError: no header'
        }
      },
      makeEnv(),
      acts()
    );
    expect(failed.querySelector('.ss-error')!.textContent).toContain(
      'exit code 2'
    );
    expect(failed.querySelector('.ss-error pre')!.textContent).toBe(
      'ValueError: no header'
    );
  });
});

describe('DriftView', () => {
  beforeEach(() => jest.resetAllMocks());

  it('keeps the batch chooser when no report exists yet (404)', async () => {
    (get as jest.Mock).mockRejectedValue(
      new ApiError(404, 'no monitoring report exists yet', {
        batches: ['data/incoming/b1.csv'],
        job: null,
        last_job: null
      })
    );
    const v = new DriftView(makeEnv());
    await v.load();
    expect(v.node.querySelector('.ss-monitor-button')).not.toBeNull();
  });

  it('shows why a monitoring run was refused', async () => {
    (get as jest.Mock).mockResolvedValue({
      report,
      batches: [],
      job: null,
      last_job: null
    });
    (post as jest.Mock).mockRejectedValue(
      new ApiError(
        400,
        "batch '../x.csv' contains '..'; paths must stay inside the project root"
      )
    );
    const v = new DriftView(makeEnv());
    await v.load();
    await v.run('../x.csv');
    expect(v.node.querySelector('.ss-error')!.textContent).toContain(
      'paths must stay inside the project root'
    );
  });
});
