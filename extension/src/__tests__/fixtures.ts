/**
 * What the routes answered on a real test build, recorded by scripts/record_fixtures.py (see fixtures/README.md),
 * and an IEnv whose open/confirm are jest mocks. Tests take a deep copy of a recording and change what they need.
 */
import {
  IContext,
  IDriftState,
  IExportState,
  IPipelineState,
  IVersionPage
} from '../api';
import { IEnv } from '../context';
import { IScorecard } from '../products';
import { IAnswers } from '../readiness';
import answersJson from './fixtures/answers.json';
import contextJson from './fixtures/context.json';
import driftJson from './fixtures/drift.json';
import exportJson from './fixtures/export.json';
import pipelineJson from './fixtures/pipeline.json';
import readinessJson from './fixtures/readiness.json';
import versionJson from './fixtures/version.json';

const RECORDED: { [name: string]: unknown } = {
  answers: answersJson,
  context: contextJson,
  drift: driftJson,
  export: exportJson,
  pipeline: pipelineJson,
  readiness: readinessJson,
  version: versionJson
};

/** A fresh copy of the recorded answer of a route (`fixtures/<name>.json`). */
export function recorded<T>(name: string): T {
  return JSON.parse(JSON.stringify(RECORDED[name])) as T;
}

export const ctx = recorded<IContext>('context');
export const scorecard = (): IScorecard => recorded<IScorecard>('readiness');
export const answers = (): IAnswers => recorded<IAnswers>('answers');
export const pipeline = (): IPipelineState =>
  recorded<IPipelineState>('pipeline');
export const drift = (): IDriftState => recorded<IDriftState>('drift');
export const exported = (): IExportState => recorded<IExportState>('export');
export const versionPage = (): IVersionPage =>
  recorded<IVersionPage>('version');

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
