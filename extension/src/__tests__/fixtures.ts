import { IContext, IEnv } from '../context';
import { IAnswers, IScorecard } from '../readiness';

export const ctx: IContext = {
  root: '/srv/lab/project',
  products: '/srv/lab/project/products',
  server_root: '/srv/lab',
  lab_root: 'project',
  user: 'ada',
  available: { readiness: true, registry: true, export_cli: false }
};

/** An IEnv whose open/confirm are jest mocks. */
export function makeEnv(
  confirm = true
): IEnv & { open: jest.Mock; confirm: jest.Mock } {
  return {
    context: () => ctx,
    open: jest.fn(),
    confirm: jest.fn(async () => confirm)
  };
}

export const scorecard: IScorecard = {
  generated_at: '2026-11-25T18:00:00+00:00',
  subject: {
    model: { name: 'mlp', version: 'v0002' },
    git_commit: 'abcdef1234567890'
  },
  items: [
    {
      id: 'D1',
      rubric: 'ml-test-score',
      section: 'data',
      title: 'Feature expectations are captured in a schema',
      rubric_mode: 'A',
      status: 'pass',
      mode: 'automated',
      measurements: [
        {
          name: 'hard violations',
          value: 0,
          op: '==',
          threshold: 0,
          passed: true
        }
      ],
      evidence: [
        {
          path: '/srv/lab/project/products/02_validated/validation.json',
          sha256: 'x'
        }
      ]
    },
    {
      id: 'D3',
      rubric: 'ml-test-score',
      section: 'data',
      title: 'No feature is too costly',
      rubric_mode: 'M',
      status: 'manual',
      mode: 'manual',
      reason: 'awaiting an attestation',
      measurements: [],
      evidence: [],
      attestation: { status: null, who: null, when: null, comment: null }
    },
    {
      id: 'I4',
      rubric: 'ml-test-score',
      section: 'infrastructure',
      title: 'Quality is validated before serving',
      rubric_mode: 'A',
      status: 'fail',
      mode: 'automated',
      measurements: [
        {
          name: 'test roc_auc',
          value: 0.8123456,
          op: '>=',
          threshold: 0.9,
          passed: false
        }
      ],
      evidence: [{ path: 'products/05_evaluation/metrics.json' }]
    },
    {
      id: 'M5',
      rubric: 'ml-test-score',
      section: 'model',
      title: 'A simpler model is not better',
      rubric_mode: 'A',
      status: 'warn',
      mode: 'automated',
      measurements: [
        {
          name: 'gain',
          value: 0.001,
          op: '>=',
          threshold: 0.002,
          passed: false
        }
      ],
      evidence: []
    }
  ],
  scores: {
    sections: { data: 1.5, model: 1, infrastructure: 0.5, monitoring: 0 },
    max_per_section: 7,
    final: 0,
    band: 'research project',
    gate: {
      decision: 'no-go',
      blocking: [
        {
          id: 'I4',
          title: 'Quality is validated before serving',
          status: 'fail',
          blocking: true,
          reason: 'test roc_auc = 0.8123 (needs >= 0.9)'
        },
        { id: 'D3', status: 'manual', blocking: false }
      ]
    }
  }
};

export const answers: IAnswers = {
  answers: {
    intake: {
      who: 'ada',
      when: '2026-11-25T17:00:00+00:00',
      answers: { decision: 'who gets a manual review', end_users: null }
    },
    business_metric: { metric: 'review hours', owner: null },
    sign_offs: {
      fairness: {
        status: 'done',
        who: 'grace',
        when: '2026-11-25T17:30:00+00:00',
        comment: 'ok'
      }
    }
  },
  questions: {
    decision: 'What decision does the system improve?',
    end_users: 'Who are the end users?'
  },
  business_metric: ['metric', 'owner'],
  manual_items: { D3: 'Is every feature worth its cost?' },
  sign_offs: {
    fairness: 'The fairness audit was reviewed.',
    'model-card': 'The model card was reviewed.'
  }
};
