/** `telco-kpi validate FILE… [--type T] [--province P]`: a dry run printing each file's receipt. */
import { UsageError } from '../../core/errors.js';
import { FileNameError } from '../../core/extracts/file-name.js';
import { formatReceipt, sentence } from '../../core/extracts/receipt-text.js';
import { validateExtract } from '../../core/extracts/validate.js';
import { parseCommandArgs, type Command } from '../command.js';
import { discardingSpool, explicitExtract, extractFiles, extractSource, receiptLang } from './extract-args.js';

export const command: Command = {
  name: 'validate',
  help: `Usage: telco-kpi validate FILE… [--type T] [--province P] [--lang zh-CN|en]

Checks each extract (CSV in UTF-8 or GB18030, comma or tab; or XLSX, first sheet) against its
schema and prints the receipt: rows read and accepted, and every problem with its row, column,
value and what is expected. Nothing is stored. Rows are numbered as Excel shows them (the header
is row 1) and columns are named as the file's header names them.

File names follow {type}_{province}_{YYYYMMDD}.csv|xlsx (market: market_JL_202611.csv, targets: targets_JL_202611.csv).
  --type T       extract type when the file name does not say it (sales, revenue, service, managers, market, targets)
  --province P   province code when the file name does not say it (JL, GD, …)
  --lang L       language of the receipt: zh-CN (default) or en

Exit codes: 0 every file accepted, 1 any file rejected, 2 usage error.`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs(argv, {
      type: { type: 'string' }, province: { type: 'string' }, lang: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    }, true);
    if (values.help) {
      ctx.out(command.help);
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('validate needs at least one FILE; see telco-kpi validate --help');
    const lang = receiptLang(values.lang);
    const explicit = explicitExtract(values);
    const files = await extractFiles(positionals, false);
    let rejected = 0;
    for (const path of files) {
      try {
        const { receipt } = await validateExtract({ fileName: path, source: extractSource(path), ...explicit }, { now: ctx.now, spool: discardingSpool() });
        ctx.out(formatReceipt(receipt, lang));
        if (receipt.status === 'rejected') rejected++;
      } catch (error) {
        if (!(error instanceof FileNameError)) throw error;
        ctx.out(`${lang === 'en' ? '✗ rejected' : '✗ 未接受'} ${sentence('fileName', { message: error.message, zh: error.zh }, lang)}\n`);
        rejected++;
      }
    }
    return rejected > 0 ? 1 : 0;
  },
};
