jest.mock('../request', () => ({
  ...jest.requireActual('../request'),
  get: jest.fn(),
  post: jest.fn()
}));

import { ExportView, IExportState, renderExport } from '../exporting';
import { ApiError, get, post } from '../request';
import { makeEnv, scorecard } from './fixtures';

const P = '/srv/lab/project/products';
function state(over: Partial<IExportState> = {}): IExportState {
  return {
    registry: {
      versions: [
        {
          version: 'v0002',
          aliases: ['candidate'],
          metrics: { roc_auc: 0.91 }
        },
        { version: 'v0001', aliases: ['production'], metrics: { roc_auc: 0.9 } }
      ],
      aliases: { production: 'v0001', candidate: 'v0002' },
      history: []
    },
    availability: {
      'onnx-fp32': { available: true },
      'onnx-int8': { available: true },
      'tensorrt-fp16': {
        available: false,
        reason: 'needs an NVIDIA GPU with CUDA'
      }
    },
    export: {
      targets: [
        {
          target: 'onnx-fp32',
          status: 'ok',
          file: `${P}/06_export/model.onnx`,
          size_bytes: 20480,
          parity: {
            max_abs_diff: 3e-7,
            checks: {
              max_abs_diff: {
                op: '<=',
                passed: true,
                threshold: 1e-4,
                value: 3e-7
              }
            }
          },
          latency_batch1: { p50_us: 11 },
          baseline: { latency_batch1: { p50_us: 38 } },
          speedup_p50: 3.45
        },
        {
          target: 'onnx-int8',
          status: 'ok',
          parity: {
            checks: {
              decision_agreement: {
                op: '>=',
                passed: false,
                threshold: 0.99,
                value: 0.98
              }
            }
          }
        }
      ]
    },
    gate: { decision: 'go', blocking: [] },
    missing: [],
    job: null,
    last_job: null,
    ...over
  };
}
const acts = (canExport = true) => ({
  exportTarget: jest.fn(),
  promote: jest.fn(),
  rollback: jest.fn(),
  canExport,
  scorecard: null
});

describe('renderExport', () => {
  it('disables TensorRT with its reason', () => {
    const el = renderExport(state(), makeEnv(), acts());
    const trt = el.querySelector('.ss-target[data-target="tensorrt-fp16"]')!;
    expect((trt.querySelector('button') as HTMLButtonElement).disabled).toBe(
      true
    );
    expect(trt.textContent).toContain('needs an NVIDIA GPU with CUDA');
    expect(
      (el.querySelector('button[data-target="onnx-int8"]') as HTMLButtonElement)
        .disabled
    ).toBe(false);
  });

  it('says when the export command is not in the library yet', () => {
    const el = renderExport(state(), makeEnv(), acts(false));
    const onnx = el.querySelector('.ss-target[data-target="onnx-fp32"]')!;
    expect((onnx.querySelector('button') as HTMLButtonElement).disabled).toBe(
      true
    );
    expect(onnx.textContent).toContain('not available yet');
  });

  it('shows parity, latency against PyTorch, size and the file', () => {
    const env = makeEnv();
    const row = renderExport(state(), env, acts()).querySelector(
      '.ss-results tr[data-target="onnx-fp32"]'
    )!;
    expect(row.textContent).toContain('✔ max_abs_diff 3e-7 <= 0.0001');
    expect(row.textContent).toContain('11 µs vs PyTorch 38 µs (×3.45)');
    expect(row.textContent).toContain('20 KiB');
    (row.querySelector('a') as HTMLElement).click();
    expect(env.open).toHaveBeenCalledWith(
      'project/products/06_export/model.onnx'
    );
    const int8 = renderExport(state(), env, acts()).querySelector(
      '.ss-results tr[data-target="onnx-int8"] .ss-measure-fail'
    )!;
    expect(int8.textContent).toBe('✘ decision_agreement 0.98 >= 0.99');
  });

  it('lists versions with aliases and promotes the candidate', () => {
    const a = acts();
    const el = renderExport(state(), makeEnv(), a);
    expect(el.querySelector('tr[data-version="v0001"]')!.textContent).toContain(
      'production'
    );
    expect(el.querySelector('tr[data-version="v0001"] .ss-promote')).toBeNull();
    (
      el.querySelector('.ss-promote[data-version="v0002"]') as HTMLButtonElement
    ).click();
    expect(a.promote).toHaveBeenCalledWith('v0002', '');
  });

  it('gates promotion on the readiness gate: blocking items linked, override needs a reason', () => {
    const a = { ...acts(), scorecard };
    const env = makeEnv();
    const el = renderExport(
      state({
        gate: { decision: 'no-go', blocking: scorecard.scores.gate!.blocking! }
      }),
      env,
      a
    );
    const btn = el.querySelector(
      '.ss-promote[data-version="v0002"]'
    ) as HTMLButtonElement;
    expect(btn.disabled).toBe(true);
    const items = el.querySelectorAll('.ss-blocking-list li');
    expect([...items].map(i => i.getAttribute('data-item'))).toEqual(['I4']);
    (items[0].querySelector('a') as HTMLElement).click();
    expect(env.open).toHaveBeenCalledWith(
      'project/products/05_evaluation/metrics.json'
    );
    const reason = el.querySelector('.ss-override') as HTMLInputElement;
    reason.value = 'hotfix for a data outage';
    reason.dispatchEvent(new Event('input'));
    expect(btn.disabled).toBe(false);
    btn.click();
    expect(a.promote).toHaveBeenCalledWith('v0002', 'hotfix for a data outage');
  });
});

describe('ExportView', () => {
  beforeEach(() => jest.resetAllMocks());

  it('asks for confirmation before promoting, and shows a refusal', async () => {
    (get as jest.Mock).mockImplementation(async (p: string) =>
      p === 'export' ? state() : scorecard
    );
    (post as jest.Mock).mockRejectedValue(
      new ApiError(
        409,
        'promotion of v0002 refused: canary: roc_auc drops 0.0300 > 0.005'
      )
    );
    const env = makeEnv(true);
    const v = new ExportView(env);
    await v.load();
    await v.promote('v0002', '');
    expect(env.confirm).toHaveBeenCalled();
    expect(post).toHaveBeenCalledWith('registry/promote', {
      version: 'v0002',
      confirm: true,
      override_reason: undefined
    });
    expect(v.node.querySelector('.ss-error')!.textContent).toContain(
      'canary: roc_auc drops'
    );
  });

  it('does nothing when the rollback is not confirmed', async () => {
    (get as jest.Mock).mockImplementation(async (p: string) =>
      p === 'export' ? state() : scorecard
    );
    const env = makeEnv(false);
    const v = new ExportView(env);
    await v.load();
    await v.rollback();
    expect(env.confirm).toHaveBeenCalled();
    expect(post).not.toHaveBeenCalled();
  });
});
