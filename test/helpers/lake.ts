/** A small real lake for fault tests: sample extracts ingested through the real ingest into a temp home. */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbParquetEncoder } from '../../lambdas/adapters/duckdb-parquet-encoder.js';
import { LocalObjectStore } from '../../lambdas/adapters/local-object-store.js';
import type { Province } from '../../lambdas/core/extracts/codes.js';
import { ingestExtract } from '../../lambdas/core/extracts/ingest.js';
import type { ObjectStore } from '../../lambdas/core/ports.js';
import { generateSample, type SampleFile, type SampleSkip } from '../../lambdas/core/sample/sample.js';
import type { Receipt } from '../../lambdas/core/extracts/validate.js';

export interface SampleLakeOptions {
  from: string;
  days: number;
  provinces: Province[];
  skip?: SampleSkip[];
  /** Only these extract types (default: every type). */
  types?: ReadonlyArray<SampleFile['type']>;
  seed?: number;
}

/** The sample files of the options, as the generator yields them. */
export function sampleFiles(options: SampleLakeOptions): SampleFile[] {
  const files = [...generateSample({ from: options.from, days: options.days, provinces: options.provinces, seed: options.seed ?? 7, scale: 'small', skip: options.skip })];
  return options.types ? files.filter((f) => options.types!.includes(f.type)) : files;
}

/** Ingests sample files into a store with the real validator and Parquet encoder. */
export async function ingestFiles(store: ObjectStore, files: readonly SampleFile[], now: () => Date = () => new Date('2026-11-23T00:30:00Z')): Promise<Receipt[]> {
  const encoder = new DuckDbParquetEncoder();
  try {
    const receipts: Receipt[] = [];
    for (const file of files) {
      receipts.push(await ingestExtract({ store, encoder, now }, { fileName: file.fileName, bytes: new TextEncoder().encode(file.content) }));
    }
    return receipts;
  } finally {
    await encoder.close();
  }
}

/** Builds a lake once in a temp folder; `copy()` gives each test its own home holding that lake. */
export class LakeTemplate {
  private constructor(readonly dir: string) {}

  static async build(options: SampleLakeOptions): Promise<LakeTemplate> {
    const dir = await mkdtemp(join(tmpdir(), 'telco-kpi-lake-'));
    const receipts = await ingestFiles(new LocalObjectStore(dir), sampleFiles(options));
    const bad = receipts.filter((r) => r.status !== 'accepted');
    if (bad.length > 0) throw new Error(`sample lake: ${bad.length} files not accepted, first ${bad[0]!.file}: ${JSON.stringify(bad[0]!.problems[0])}`);
    return new LakeTemplate(dir);
  }

  async copy(): Promise<string> {
    const home = await mkdtemp(join(tmpdir(), 'telco-kpi-home-'));
    await cp(this.dir, home, { recursive: true });
    return home;
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface TestSettings {
  provinces: readonly string[];
  week?: { mode: 'wait' | 'send-partial'; deadlineHours: number };
}

export const OPERATORS = 'ops-kpi@telco.example.cn';
export const NATIONAL = ['marketing-exec@telco.example.cn', 'cmo-office@telco.example.cn'];
export const JL_EXEC = 'jl-exec@telco.example.cn';
export const GD_EXEC = 'gd-exec@telco.example.cn';
export const HR = 'hr-incentives@telco.example.cn';

/** The settings YAML of the tests: national, JL and GD lists, HR for incentives. */
export function settingsYaml(options: TestSettings): string {
  const week = options.week ?? { mode: 'wait', deadlineHours: 12 };
  return [
    `provinces: [${options.provinces.join(', ')}]`,
    'freshness:',
    `  week: { mode: ${week.mode}, deadlineHours: ${week.deadlineHours} }`,
    '  month: { mode: wait, deadlineHours: 48 }',
    'mail:',
    '  from: "营销KPI周报 telco-kpi <kpi-report@telco.example.cn>"',
    `  operators: [${OPERATORS}]`,
    'recipients:',
    '  weekly:',
    `    - { name: 全国市场部, scope: ALL, to: [${NATIONAL.join(', ')}] }`,
    `    - { name: 吉林省分公司, scope: JL, to: [${JL_EXEC}] }`,
    `    - { name: 广东省分公司, scope: GD, to: [${GD_EXEC}] }`,
    '  incentives:',
    `    - { name: 人力资源部, to: [${HR}] }`,
    '',
  ].join('\n');
}

/** A config folder with telco-kpi.yaml (and the project's plans, for incentives). */
export async function writeConfigDir(dir: string, options: TestSettings): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'telco-kpi.yaml'), settingsYaml(options));
  await cp(join(import.meta.dirname, '../../config/plans'), join(dir, 'plans'), { recursive: true });
  return dir;
}
