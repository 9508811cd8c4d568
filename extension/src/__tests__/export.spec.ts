jest.mock('../request', () => ({
  ...jest.requireActual('../request'),
  get: jest.fn(),
  post: jest.fn()
}));

import { IExportState, IListedVersion } from '../api';
import {
  ExportView,
  renderAudit,
  renderCompare,
  renderExport
} from '../exporting';
import { ApiError, get, post } from '../request';
import { renderVersionPage } from '../version';
import { exported, makeEnv, scorecard, versionPage } from './fixtures';

// The recorded export state is the real test build's: v0001 (production and candidate), the pipeline's proof of
// onnx-fp32 and onnx-int8 (TensorRT skipped: no GPU), an on-demand ONNX export of v0001, and the no-go gate.

const acts = () => ({
  exportTarget: jest.fn(),
  promote: jest.fn(),
  rollback: jest.fn(),
  scorecard: null
});

/** The recorded state with a second version registered from v0001 (qualified or not). */
function withCandidate(missing: string[] = []): IExportState {
  const st = exported();
  const v1 = st.registry!.versions[0];
  const v2: IListedVersion = {
    ...JSON.parse(JSON.stringify(v1)),
    version: 'v0002',
    aliases: [],
    missing_evidence: missing,
    promotable: missing.length === 0
  };
  st.registry!.versions = [v2, v1];
  return st;
}

describe('renderExport', () => {
  it('disables TensorRT with its reason', () => {
    const el = renderExport(exported(), makeEnv(), acts());
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

  it("names the latency baseline by the model's own library (a tree model is not measured against PyTorch)", () => {
    const st = exported();
    st.export!.baseline!.runtime = 'lightgbm-cpu';
    const el = renderExport(st, makeEnv(), acts());
    const fp32 = el.querySelector('.ss-results tr[data-target="onnx-fp32"]');
    expect(fp32?.textContent).toContain('13.14 µs vs LightGBM 61.27 µs');
    expect(fp32?.textContent).not.toContain('PyTorch');
  });

  it('reads the pipeline proof by target name: parity, latency against PyTorch, size and the file', () => {
    const env = makeEnv();
    const el = renderExport(exported(), env, acts());
    const rows = el.querySelectorAll('.ss-results tr[data-target]');
    expect([...rows].map(r => r.getAttribute('data-target'))).toEqual([
      'onnx-fp32',
      'onnx-int8',
      'tensorrt-fp16'
    ]);
    const fp32 = rows[0];
    expect(fp32.textContent).toContain('✔ max_abs_diff 1.192e-7 <= 0.0001');
    expect(fp32.textContent).toContain('13.14 µs vs PyTorch 61.27 µs (×4.661)');
    expect(fp32.textContent).toContain('33.95 KiB');
    (fp32.querySelector('a') as HTMLElement).click();
    expect(env.open).toHaveBeenCalledWith(
      'project/products/06_export/model.onnx'
    );
    expect(rows[1].textContent).toContain(
      '✔ decision_agreement 0.9985 >= 0.99'
    );
    expect(rows[2].textContent).toContain('skipped');
    expect(rows[2].textContent).toContain('needs an NVIDIA GPU with CUDA');
  });

  it('shows the on-demand exports per version, beside the proof', () => {
    const el = renderExport(exported(), makeEnv(), acts());
    const v1 = el.querySelector('.ss-on-demand[data-version="v0001"]')!;
    expect(
      [...v1.querySelectorAll('tr[data-target]')].map(r =>
        r.getAttribute('data-target')
      )
    ).toEqual(['onnx-fp32']);
    expect(
      v1.querySelector('tr[data-target="onnx-fp32"] .ss-badge')!.textContent
    ).toBe('ok');
  });

  it('exports the chosen version', () => {
    const a = acts();
    const el = renderExport(exported(), makeEnv(), a);
    (
      el.querySelector('button[data-target="onnx-fp32"]') as HTMLButtonElement
    ).click();
    expect(a.exportTarget).toHaveBeenCalledWith('onnx-fp32', 'v0001');
  });

  it('lists versions with aliases; production is not promotable, nor a version without its canary and drill', () => {
    const el = renderExport(
      withCandidate(['canary.json', 'drill.json']),
      makeEnv(),
      acts()
    );
    const v1 = el.querySelector('tr[data-version="v0001"]')!;
    expect(v1.textContent).toContain('production');
    expect(v1.querySelector('.ss-promote')).toBeNull();
    const v2 = el.querySelector('tr[data-version="v0002"]')!;
    expect(
      (v2.querySelector('.ss-promote') as HTMLButtonElement).disabled
    ).toBe(true);
    expect(v2.querySelector('.ss-reason')!.textContent).toBe(
      'not promotable: canary.json and drill.json not recorded (shipshape qualify v0002)'
    );
  });

  it('gates promotion on the readiness gate: blocking items linked, override needs a reason', () => {
    const a = { ...acts(), scorecard: scorecard() };
    const env = makeEnv();
    const el = renderExport(withCandidate(), env, a);
    const btn = el.querySelector(
      '.ss-promote[data-version="v0002"]'
    ) as HTMLButtonElement;
    expect(btn.disabled).toBe(true);
    const items = el.querySelectorAll('.ss-blocking-list li');
    expect([...items].map(i => i.getAttribute('data-item'))).toEqual([
      'M1',
      'M7',
      'training-reproducible',
      'serving-latency',
      'monitoring-coverage',
      'fairness-audit'
    ]);
    (items[0].querySelector('.ss-evidence a') as HTMLElement).click();
    expect(env.open).toHaveBeenCalledWith(
      'project/products/readiness/provenance.json'
    );
    const reason = el.querySelector('.ss-override') as HTMLInputElement;
    reason.value = 'hotfix for a data outage';
    reason.dispatchEvent(new Event('input'));
    expect(btn.disabled).toBe(false);
    btn.click();
    expect(a.promote).toHaveBeenCalledWith('v0002', 'hotfix for a data outage');
  });

  it('says why the gate is unavailable (a stale scorecard) and still allows an override', () => {
    const st = withCandidate();
    st.gate = {
      decision: 'unavailable',
      blocking: [],
      reason:
        'the readiness scorecard of 2026-12-01T16:45:30+00:00 is stale: readiness.yaml (modified) changed'
    };
    const el = renderExport(st, makeEnv(), acts());
    expect(el.querySelector('.ss-gatebox')!.textContent).toContain(
      'UNAVAILABLE'
    );
    expect(el.querySelector('.ss-gatebox')!.textContent).toContain('is stale');
    expect(el.querySelector('.ss-blocking-list')).toBeNull();
    expect(el.querySelector('.ss-override')).not.toBeNull();
  });

  it('shows a failed export with its log tail', () => {
    const st = exported();
    st.last_job = {
      ...st.last_job!,
      returncode: 2,
      outcome: 'failed',
      log_tail:
        'shipshape export: error: v0001 has no PyTorch model or holdout rows to export from'
    };
    const el = renderExport(st, makeEnv(), acts());
    expect(el.querySelector('.ss-error')!.textContent).toContain(
      'The last export (v0001 to onnx-fp32) failed (exit 2: failed)'
    );
  });
});

describe('ExportView', () => {
  beforeEach(() => jest.resetAllMocks());

  it('asks for confirmation before promoting, and shows a refusal', async () => {
    (get as jest.Mock).mockImplementation(async (p: string) =>
      p === 'export' ? withCandidate() : scorecard()
    );
    (post as jest.Mock).mockRejectedValue(
      new ApiError(
        409,
        'promotion of v0002 refused: canary: roc_auc drops 0.0300 > 0.005 (override with a reason to force it)'
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
      p === 'export' ? exported() : scorecard()
    );
    const env = makeEnv(false);
    const v = new ExportView(env);
    await v.load();
    await v.rollback();
    expect(env.confirm).toHaveBeenCalled();
    expect(post).not.toHaveBeenCalled();
  });
});

describe('the Models view: comparison and audit trail', () => {
  it('compares production with the newest other version, metric by metric, with B − A', () => {
    const st = withCandidate();
    const v2 = st.registry!.versions.find(v => v.version === 'v0002')!;
    v2.created_at = '2026-12-02T00:00:00+00:00';
    v2.metrics = { ...v2.metrics, roc_auc: 0.9 };
    const v1 = st.registry!.versions.find(v => v.version === 'v0001')!;
    v1.metrics = { ...v1.metrics, roc_auc: 0.85 };
    const node = renderCompare(st.registry!.versions, {});
    const head = Array.from(node!.querySelectorAll('thead th')).map(
      th => th.textContent
    );
    expect(head).toEqual(['', 'A: v0001', 'B: v0002', 'B − A']);
    const auc = node!.querySelector('tr[data-key=roc_auc]')!;
    const cells = Array.from(auc.querySelectorAll('td')).map(
      td => td.textContent
    );
    expect(cells).toEqual(['0.85', '0.9', '+0.05']);
  });

  it('compares the versions a person chose', () => {
    const st = withCandidate();
    const choose = jest.fn();
    const node = renderCompare(st.registry!.versions, {
      compare: { a: 'v0002', b: 'v0001' },
      choose
    });
    const a = node!.querySelector<HTMLSelectElement>('.ss-compare-a')!;
    expect(a.value).toBe('v0002');
    a.value = 'v0001';
    a.dispatchEvent(new Event('change'));
    expect(choose).toHaveBeenCalledWith('a', 'v0001');
  });

  it('shows the recorded audit trail newest first, with who and why', () => {
    const history = exported().registry!.history;
    const node = renderAudit(history);
    const rows = Array.from(node.querySelectorAll('tbody tr'));
    expect(rows.map(r => r.getAttribute('data-action'))).toEqual(
      [...history].reverse().map(e => e.action)
    );
    const promote = node.querySelector('tr[data-action=promote]')!;
    expect(promote.textContent).toContain(
      'first registered version: nothing in production to compare against'
    );
    expect(promote.textContent).toContain('root');
  });
});

// The recorded page of v0001 (GET registry/version?version=v0001) on the same kind of build: its proof at
// registration, the on-demand ONNX export, the files of its registry folder, and the readiness task's no-go verdict
// kept when v0001 was judged. The build's temporary project has no git: no commit was recorded.

describe("a registered version's page", () => {
  it('shows the metrics rounded, parity and latency per target from both reports, and the readiness kept at registration', () => {
    const page = versionPage();
    const el = renderVersionPage(page, makeEnv(), jest.fn());
    expect(el.querySelector('h3')!.textContent).toMatch(/^Version v0001/);
    const roc = page.record.metrics!.roc_auc as number;
    expect(
      el.querySelector('.ss-version-metrics tr[data-key="roc_auc"] td')!
        .textContent
    ).toBe(String(Number(roc.toPrecision(4))));
    const rows = [...el.querySelectorAll('.ss-version-targets tbody tr')].map(
      r => `${r.getAttribute('data-target')} ${r.getAttribute('data-source')}`
    );
    expect(rows).toEqual([
      'onnx-fp32 at registration',
      'onnx-int8 at registration',
      'tensorrt-fp16 at registration',
      'onnx-fp32 on demand'
    ]);
    const fp32 = el.querySelector(
      '.ss-version-targets tr[data-target="onnx-fp32"][data-source="at registration"]'
    )!.textContent!;
    expect(fp32).toContain('✔ max_abs_diff');
    expect(fp32).toMatch(
      /p50 [\d.]+ µs · p95 [\d.]+ µs \(baseline [\d.]+ µs, ×[\d.]+\)/
    );
    const kept = el.querySelector('.ss-version-readiness')!;
    expect(kept.textContent).toContain('NO-GO');
    expect(
      [...kept.querySelectorAll('li[data-item]')].map(li =>
        li.getAttribute('data-item')
      )
    ).toEqual(page.readiness.blocking!.map(b => b.id));
    expect(kept.textContent).toContain(page.readiness.blocking![0].title);
  });

  it('offers binary files for download and opens text files; long hashes are shortened with the whole in the title', () => {
    const page = versionPage();
    const env = makeEnv();
    const el = renderVersionPage(page, env, jest.fn());
    const onnx = el.querySelector('tr[data-file="onnx"]')!;
    const a = onnx.querySelector('a.ss-download') as HTMLAnchorElement;
    expect(a.getAttribute('href')).toMatch(
      /\/files\/project\/registry\/uci-adult\/versions\/v0001\/model\.onnx\?download=1$/
    );
    expect(a.getAttribute('download')).toBe('model.onnx');
    const sha = onnx.querySelector('code.ss-short')!;
    const file = page.files.find(f => f.name === 'onnx')!;
    expect(sha.getAttribute('title')).toBe(file.sha256);
    expect(sha.textContent).toBe(`${file.sha256!.slice(0, 12)}…`);
    expect(onnx.textContent).toContain('KiB');
    const metrics = el.querySelector(
      'tr[data-file="metrics"] a'
    ) as HTMLElement;
    expect(metrics.classList.contains('ss-download')).toBe(false);
    metrics.click();
    expect(env.open).toHaveBeenCalledWith(
      'project/registry/uci-adult/versions/v0001/metrics.json'
    );
    const lineage = el.querySelector('.ss-version-lineage')!.textContent!;
    expect(lineage).toContain('not recorded (no git)');
    expect(lineage).toContain(page.lineage.data_version!.slice(0, 12));
  });

  it('says n/a with the reason when no readiness was kept, and names a missing file', () => {
    const page = versionPage();
    page.readiness = {
      status: 'n/a',
      reason: 'no readiness snapshot was kept with this version'
    };
    const f = page.files.find(x => x.name === 'holdout')!;
    Object.assign(f, {
      size_bytes: null,
      intact: null,
      missing:
        'versions/v0001/holdout.parquet is missing from the registry folder'
    });
    page.errors = [`holdout: ${f.missing}`];
    const el = renderVersionPage(page, makeEnv(), jest.fn());
    const kept = el.querySelector('.ss-version-readiness')!;
    expect(kept.textContent).toBe(
      'n/a no readiness snapshot was kept with this version'
    );
    const row = el.querySelector('tr[data-file="holdout"]')!;
    expect(row.textContent).toContain('missing');
    expect(row.querySelector('a')).toBeNull();
    expect(el.querySelector('.ss-error')!.textContent).toContain(
      'holdout.parquet is missing'
    );
  });

  it('opens from the versions table with a loading state, and goes back to the list', async () => {
    jest.resetAllMocks();
    let answer: (v: unknown) => void = () => undefined;
    (get as jest.Mock).mockImplementation((p: string) =>
      p === 'export'
        ? Promise.resolve(exported())
        : p === 'readiness'
          ? Promise.resolve(scorecard())
          : new Promise(r => (answer = r))
    );
    const v = new ExportView(makeEnv());
    await v.load();
    (
      v.node.querySelector(
        '.ss-versions button.ss-details[data-version="v0001"]'
      ) as HTMLButtonElement
    ).click();
    expect(get).toHaveBeenLastCalledWith('registry/version?version=v0001');
    expect(v.node.querySelector('.ss-version-loading')!.textContent).toContain(
      'Loading v0001'
    );
    answer(versionPage());
    await new Promise(r => setTimeout(r, 0));
    expect(v.node.querySelector('.ss-version-loading')).toBeNull();
    expect(v.node.querySelector('.ss-version-metrics')).not.toBeNull();
    (v.node.querySelector('.ss-back') as HTMLButtonElement).click();
    expect(v.node.querySelector('.ss-version-page')).toBeNull();
    expect(v.node.querySelector('.ss-versions')).not.toBeNull();
  });

  it('shows why a page cannot be read, with a retry', async () => {
    jest.resetAllMocks();
    (get as jest.Mock).mockImplementation(async (p: string) => {
      if (p.startsWith('registry/version')) {
        throw new ApiError(404, "version: unknown model version 'v0009'");
      }
      return p === 'export' ? exported() : scorecard();
    });
    const v = new ExportView(makeEnv());
    await v.load();
    await v.details('v0009');
    expect(v.node.querySelector('h3')!.textContent).toBe('Version v0009');
    expect(v.node.querySelector('.ss-notice')!.textContent).toContain(
      "unknown model version 'v0009'"
    );
    expect(v.node.querySelector('.ss-version-loading')).toBeNull();
  });
});
