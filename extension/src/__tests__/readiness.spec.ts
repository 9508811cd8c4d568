jest.mock('../request', () => ({
  ...jest.requireActual('../request'),
  get: jest.fn(),
  post: jest.fn()
}));

import { groupItems, ReadinessView, renderReadiness } from '../readiness';
import { ApiError, get, post } from '../request';
import { answers, makeEnv, scorecard } from './fixtures';

const flush = () => new Promise(r => setTimeout(r, 0));

function actions() {
  return { attest: jest.fn(), saveIntake: jest.fn() };
}

describe('renderReadiness', () => {
  it('shows the gate and the ML Test Score band at the top', () => {
    const el = renderReadiness(scorecard, null, makeEnv(), actions());
    const head = el.querySelector('.ss-header')!.textContent!;
    expect(head).toContain('NO-GO');
    expect(head).toContain('research project');
    expect(head).toContain('blocking: I4');
    expect(head).toContain('to review: D3');
  });

  it('groups items by section, failing first', () => {
    const groups = groupItems(scorecard.items);
    expect(groups.map(g => g[0])).toEqual(['infrastructure', 'model', 'data']);
    expect(groups[2][1].map(i => i.id)).toEqual(['D3', 'D1']);
    const el = renderReadiness(scorecard, null, makeEnv(), actions());
    expect(
      [...el.querySelectorAll('section')].map(s =>
        s.getAttribute('data-section')
      )
    ).toEqual(['infrastructure', 'model', 'data']);
  });

  it('shows each measurement against its threshold', () => {
    const el = renderReadiness(scorecard, null, makeEnv(), actions());
    const i4 = el.querySelector('li[data-item="I4"] .ss-measure')!;
    expect(i4.textContent).toBe('✘ test roc_auc: 0.8123 >= 0.9');
    expect(i4.classList.contains('ss-measure-fail')).toBe(true);
  });

  it('folds long measurement lists and long reasons', () => {
    const many = Array.from({ length: 8 }, (_, i) => ({
      name: `group ${i}`,
      value: 0.3,
      op: '<=',
      threshold: 0.1,
      passed: false
    }));
    const it8 = {
      ...scorecard.items[2],
      id: 'M7',
      measurements: many,
      reason: 'x'.repeat(400)
    };
    const el = renderReadiness(
      { ...scorecard, items: [it8] },
      null,
      makeEnv(),
      actions()
    );
    const li = el.querySelector('li[data-item="M7"]')!;
    expect(li.querySelectorAll(':scope > .ss-measure').length).toBe(6);
    expect(li.querySelector('details.ss-more summary')!.textContent).toBe(
      '2 more measurement(s)'
    );
    expect(
      li.querySelector('details.ss-reason summary')!.textContent!.length
    ).toBeLessThan(140);
  });

  it('opens the evidence in JupyterLab', () => {
    const env = makeEnv();
    const el = renderReadiness(scorecard, null, env, actions());
    (
      el.querySelector('li[data-item="I4"] .ss-evidence a') as HTMLElement
    ).click();
    expect(env.open).toHaveBeenCalledWith(
      'project/products/05_evaluation/metrics.json'
    );
  });

  it('lets manual items and unreviewed warnings be attested, not passing automated ones', () => {
    const act = actions();
    const el = renderReadiness(scorecard, null, makeEnv(), act);
    expect(el.querySelector('li[data-item="D1"] .ss-attest')).toBeNull();
    expect(el.querySelector('li[data-item="M5"] .ss-attest')).not.toBeNull();
    const d3 = el.querySelector('li[data-item="D3"]')!;
    (d3.querySelector('.ss-attest-box') as HTMLInputElement).checked = true;
    (d3.querySelector('.ss-attest-comment') as HTMLInputElement).value =
      'costs reviewed in docs/costs.md';
    (d3.querySelector('.ss-attest-save') as HTMLButtonElement).click();
    expect(act.attest).toHaveBeenCalledWith(
      'D3',
      'done',
      'costs reviewed in docs/costs.md'
    );
  });

  it('edits the intake questionnaire and the sign-offs in place', () => {
    const act = actions();
    const el = renderReadiness(scorecard, answers, makeEnv(), act);
    const q = el.querySelector(
      'textarea[data-key="end_users"]'
    ) as HTMLTextAreaElement;
    expect(
      (el.querySelector('textarea[data-key="decision"]') as HTMLTextAreaElement)
        .value
    ).toBe('who gets a manual review');
    q.value = 'loan officers';
    (el.querySelector('input[data-key="owner"]') as HTMLInputElement).value =
      'risk team';
    (el.querySelector('.ss-intake-save') as HTMLButtonElement).click();
    expect(act.saveIntake).toHaveBeenCalledWith(
      { decision: 'who gets a manual review', end_users: 'loan officers' },
      { metric: 'review hours', owner: 'risk team' }
    );
    const fair = el.querySelector('.ss-signoffs li[data-item="fairness"]')!;
    expect(fair.textContent).toContain('attested by grace');
    expect(
      (fair.querySelector('.ss-attest-box') as HTMLInputElement).checked
    ).toBe(true);
  });
});

describe('ReadinessView', () => {
  beforeEach(() => jest.resetAllMocks());

  it('says plainly when no scorecard exists yet', async () => {
    (get as jest.Mock).mockRejectedValue(
      new ApiError(
        404,
        'no readiness scorecard exists yet (…). Make one by running the pipeline: `make run`'
      )
    );
    const v = new ReadinessView(makeEnv());
    await v.load();
    const box = v.node.querySelector('[role="alert"]')!;
    expect(box.className).toBe('ss-notice');
    expect(box.textContent).toContain('make run');
    expect(box.querySelector('button')!.textContent).toBe('Retry');
  });

  it('shows a refused attestation with the server message and keeps the scorecard', async () => {
    (get as jest.Mock).mockImplementation(async (p: string) =>
      p === 'readiness' ? scorecard : answers
    );
    (post as jest.Mock).mockRejectedValue(
      new ApiError(400, "unknown item 'X9'")
    );
    const v = new ReadinessView(makeEnv());
    await v.load();
    (
      v.node.querySelector(
        'li[data-item="D3"] .ss-attest-save'
      ) as HTMLButtonElement
    ).click();
    await flush();
    expect(post).toHaveBeenCalledWith('readiness/attest', {
      item: 'D3',
      status: 'failed',
      comment: ''
    });
    expect(v.node.querySelector('.ss-error')!.textContent).toContain(
      "unknown item 'X9'"
    );
    expect(v.node.querySelector('li[data-item="I4"]')).not.toBeNull();
  });

  it('re-renders the refreshed scorecard after saving', async () => {
    (get as jest.Mock).mockImplementation(async (p: string) =>
      p === 'readiness' ? scorecard : answers
    );
    const after = {
      ...scorecard,
      scores: {
        ...scorecard.scores,
        gate: { decision: 'needs-review', blocking: [] }
      }
    };
    (post as jest.Mock).mockResolvedValue(after);
    const v = new ReadinessView(makeEnv());
    await v.load();
    (
      v.node.querySelector(
        'li[data-item="D3"] .ss-attest-box'
      ) as HTMLInputElement
    ).checked = true;
    (
      v.node.querySelector(
        'li[data-item="D3"] .ss-attest-save'
      ) as HTMLButtonElement
    ).click();
    await flush();
    await flush();
    expect(v.node.querySelector('.ss-gate')!.textContent).toContain(
      'NEEDS-REVIEW'
    );
    expect(v.node.querySelector('[role="status"]')!.textContent).toContain(
      'Saved D3 (done)'
    );
  });
});
