/** `telco-kpi ingest FILE|DIR…`: validates and stores extracts in the local lake under --home. */
import { basename } from 'node:path';
import { DuckDbParquetEncoder } from '../../adapters/duckdb-parquet-encoder.js';
import { LocalObjectStore } from '../../adapters/local-object-store.js';
import { UsageError } from '../../core/errors.js';
import { ingestExtracts } from '../../core/extracts/ingest.js';
import { formatProblem, moreProblems, receiptLine, sentence } from '../../core/extracts/receipt-text.js';
import { parseCommandArgs, type Command } from '../command.js';
import { explicitExtract, extractFiles, extractSource, receiptLang } from './extract-args.js';

export { receiptLine };

export const command: Command = {
  name: 'ingest',
  help: `Usage: telco-kpi ingest FILE|DIR… [--type T] [--province P] [--lang zh-CN|en]

Validates each extract and stores the accepted ones as Parquet in the lake under --home
(one partition per type, province and day, many files encoded together; a corrected re-upload
replaces the day, the same file twice changes nothing). Folders are walked for .csv and .xlsx files in name order.
Every file gets a receipt under <home>/receipts/ (.txt in Chinese, .json for tools) and one line here:
  ✓ 已接受 sales_JL_20261118.csv 1234 行
  = 未变化 sales_JL_20261118.csv 1234 行
  ↷ 未存储 sales_JL_20261118.csv（该日已有更晚的上传，保留较晚的那个）
  ✗ 未接受 sales_JL_20261119.csv（3 个问题：…）, followed by every listed problem
  --type T       extract type when the file names do not say it
  --province P   province code when the file names do not say it
  --lang L       language of these lines: zh-CN (default) or en

Exit codes: 0 every file accepted, unchanged or superseded, 1 any file rejected, 2 usage error.`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(argv, {
      type: { type: 'string' }, province: { type: 'string' }, lang: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    }, true);
    if (values.help) {
      ctx.out(command.help);
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('ingest needs at least one FILE or DIR; see telco-kpi ingest --help');
    const explicit = explicitExtract(values);
    const lang = receiptLang(values.lang);
    const files = await extractFiles(positionals, true);
    if (files.length === 0) throw new UsageError(`no .csv or .xlsx files found in ${positionals.join(', ')}`);
    const store = new LocalObjectStore(ctx.home);
    const encoder = new DuckDbParquetEncoder();
    const progressEvery = files.length >= 20 ? Math.ceil(files.length / 20) : 0;
    let rejected = 0;
    let done = 0;
    // Each file is read in chunks as it is validated: memory holds a window of one file, not the file or the folder.
    const inputs = files.map((path) => ({ fileName: path, source: extractSource(path), ...explicit }));
    try {
      for await (const outcome of ingestExtracts({ store, encoder, now: ctx.now }, inputs)) {
        if ('error' in outcome) {
          const why = sentence('fileName', { message: outcome.error.message, zh: outcome.error.zh }, lang);
          ctx.out(lang === 'en' ? `✗ rejected ${basename(outcome.fileName)} (${why})` : `✗ 未接受 ${basename(outcome.fileName)}（${why}）`);
          rejected++;
        } else {
          const { receipt } = outcome;
          ctx.out(receiptLine(receipt, lang));
          if (receipt.status === 'rejected') {
            rejected++;
            for (const problem of receipt.problems) ctx.out(`    ${formatProblem(problem, lang, receipt)}`);
            if (receipt.problemCount > receipt.problems.length) ctx.out(`    ${moreProblems(receipt.problemCount - receipt.problems.length, lang)}`);
          }
        }
        done++;
        if (progressEvery > 0 && (done % progressEvery === 0 || done === files.length)) ctx.err(`ingest: ${done}/${files.length} files`);
      }
    } finally {
      await encoder.close();
    }
    return rejected > 0 ? 1 : 0;
  },
};
