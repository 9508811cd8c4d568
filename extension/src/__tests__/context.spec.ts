import { fileLink, labPath } from '../context';
import { fmt } from '../dom';
import { ctx, makeEnv } from './fixtures';

describe('labPath', () => {
  it('maps absolute paths under the server root and project-relative paths', () => {
    expect(labPath(ctx, '/srv/lab/project/products/reports/train.ipynb')).toBe(
      'project/products/reports/train.ipynb'
    );
    expect(labPath(ctx, 'products/readiness/scorecard.json')).toBe(
      'project/products/readiness/scorecard.json'
    );
    expect(labPath({ ...ctx, lab_root: '' }, 'readiness.yaml')).toBe(
      'readiness.yaml'
    );
  });

  it('refuses what JupyterLab cannot open', () => {
    expect(labPath(ctx, '/etc/passwd')).toBeNull();
    expect(labPath(ctx, '/srv/lab2/x')).toBeNull();
    expect(labPath({ ...ctx, lab_root: null }, 'products/x')).toBeNull();
    expect(labPath(null, 'x')).toBeNull();
  });
});

describe('fileLink', () => {
  it('opens the file in JupyterLab on click', () => {
    const env = makeEnv();
    const a = fileLink(
      env,
      '/srv/lab/project/products/reports/evaluate.html',
      'report'
    ) as HTMLElement;
    expect(a.tagName).toBe('A');
    a.click();
    expect(env.open).toHaveBeenCalledWith(
      'project/products/reports/evaluate.html'
    );
  });

  it('shows a path outside the server as plain text', () => {
    const el = fileLink(makeEnv(), '/tmp/elsewhere/model.onnx') as HTMLElement;
    expect(el.tagName).toBe('SPAN');
    expect(el.textContent).toBe('model.onnx');
  });
});

describe('fmt', () => {
  it('formats values for tables', () => {
    expect(fmt(0.8123456)).toBe('0.8123');
    expect(fmt(12)).toBe('12');
    expect(fmt(null)).toBe('—');
    expect(fmt(true)).toBe('yes');
  });
});
