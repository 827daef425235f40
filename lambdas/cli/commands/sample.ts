import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PROVINCE_CODES, type Province } from '../../core/extracts/codes.js';
import { UsageError } from '../../core/errors.js';
import { SAMPLE_SCALES, generateSample, parseSkip, sampleFileCount, type SampleOptions, type SampleScale } from '../../core/sample/sample.js';
import { parseCommandArgs, type Command } from '../command.js';

const DEFAULT_PROVINCES = 'JL,GD,SC,ZJ';
const DEFAULT_SEED = 42;
/** A progress line on stderr every this many files (only for runs longer than that). */
const PROGRESS_EVERY = 100;

const HELP = `Usage: telco-kpi sample --from YYYY-MM-DD --days N --out DIR [options]

Writes realistic, reproducible extracts (SPEC §2) into DIR: per province and day a sales,
revenue and service file, per province one managers roster (named with the first day), one
market file per calendar month and one targets file (月度指标) per calendar month, except for
ZJ, which sets no targets (reports say 未设指标). The same options always give the same bytes.

Options:
  --from D           first day, YYYY-MM-DD (required)
  --days N           number of days, ≥ 1 (required)
  --out DIR          folder to write to; created when missing (required)
  --provinces LIST   comma-separated province codes (default ${DEFAULT_PROVINCES})
  --seed S           integer seed (default ${DEFAULT_SEED})
  --scale S          small | province | national (default small): rows per province and day
                     small ≈ 150 sales, 60 tickets, 3 cities; province ≈ 3 000 sales,
                     2 000 tickets, 9 cities; national ≈ 8 800 sales, 6 200 tickets, 14 cities
  --skip LIST        files to leave out, comma-separated type:PROVINCE:YYYY-MM-DD
                     (market, targets: type:PROVINCE:YYYY-MM), e.g. sales:JL:2026-11-18

Example:
  telco-kpi sample --from 2026-11-01 --days 30 --provinces JL,GD --out ./extracts`;

export const command: Command = {
  name: 'sample',
  help: HELP,
  async run(argv, ctx) {
    const options = parseSampleArgs(argv);
    const out = resolve(options.out);
    const total = sampleFileCount(options.sample);
    await mkdir(out, { recursive: true });
    let files = 0, rows = 0, bytes = 0;
    for (const file of generateSample(options.sample)) {
      const body = Buffer.from(file.content, 'utf8');
      await writeFile(join(out, file.fileName), body);
      files += 1;
      rows += file.rows;
      bytes += body.length;
      if (total > PROGRESS_EVERY && files % PROGRESS_EVERY === 0) ctx.err(`sample: ${files}/${total} files, ${rows} rows`);
    }
    ctx.out(`sample: wrote ${files} files, ${rows} rows, ${formatBytes(bytes)} to ${out}`);
    return 0;
  },
};

/** The command line turned into generator options; every mistake is a UsageError naming the value. */
export function parseSampleArgs(argv: string[]): { sample: SampleOptions; out: string } {
  const { values } = parseCommandArgs(argv, {
    from: { type: 'string' },
    days: { type: 'string' },
    provinces: { type: 'string' },
    seed: { type: 'string' },
    scale: { type: 'string' },
    skip: { type: 'string' },
    out: { type: 'string' },
  });
  if (values.from === undefined) throw new UsageError('--from is required: the first day, YYYY-MM-DD');
  if (values.days === undefined) throw new UsageError('--days is required: the number of days, ≥ 1');
  if (values.out === undefined) throw new UsageError('--out is required: the folder to write the extracts to');
  if (!/^\d+$/.test(values.days) || Number(values.days) < 1) throw new UsageError(`--days '${values.days}' is not a whole number of days ≥ 1`);
  const seedText = values.seed ?? String(DEFAULT_SEED);
  if (!/^-?\d{1,15}$/.test(seedText)) throw new UsageError(`--seed '${seedText}' is not an integer`);
  const scale = values.scale ?? 'small';
  if (!(SAMPLE_SCALES as readonly string[]).includes(scale)) throw new UsageError(`--scale '${scale}' is not one of ${SAMPLE_SCALES.join(', ')}`);
  const provinces = (values.provinces ?? DEFAULT_PROVINCES).split(',').map((p) => p.trim().toUpperCase()).filter((p) => p !== '');
  for (const p of provinces) {
    if (!(PROVINCE_CODES as string[]).includes(p)) throw new UsageError(`--provinces: '${p}' is not a province code; use codes like JL,GD (${PROVINCE_CODES.join(', ')})`);
  }
  const skip = (values.skip ?? '').split(',').filter((s) => s.trim() !== '').map(parseSkip);
  const sample: SampleOptions = {
    from: values.from, days: Number(values.days), provinces: provinces as Province[], seed: Number(seedText), scale: scale as SampleScale, skip,
  };
  sampleFileCount(sample); // checks the remaining rules (real day, skips inside the range) before anything is written
  return { sample, out: values.out };
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}
