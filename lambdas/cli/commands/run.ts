/** `telco-kpi run`: the demo job `npm start` runs, end to end on the embedded defaults. */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { addDays, dayNumber, latestFullMonth, latestFullWeek, weekOf } from '../../core/period.js';
import { generateSample, sampleFileCount, type SampleOptions } from '../../core/sample/sample.js';
import { parseCommandArgs, type CliContext, type Command } from '../command.js';
import { loadSettings } from '../local-runtime.js';
import { command as ingest } from './ingest.js';
import { incentivesOnce } from './incentives.js';
import { reportOnce } from './report.js';
import { command as runs } from './runs.js';

const help = `telco-kpi run — the demo job (what \`npm start\` runs)

Usage: telco-kpi run [--seed S] [--home DIR]

On the embedded defaults (files for S3, DuckDB for Athena, .eml outbox or SMTP_URL for SES):
  1. sample   realistic extracts for the provinces of config/telco-kpi.yaml, from the start of
              the latest full month to the end of the latest full ISO week (Asia/Shanghai);
              one GD revenue day is held back and a broken version of it is uploaded instead
  2. ingest   every file (the broken one is rejected with a receipt)
  3. report   the latest full week for ALL and each province with a recipient list, --send
              (partial: the missing GD day is named; wait/send per the freshness policy)
  4. late     the corrected GD file arrives; the reports are re-run: changed ones go out as
              a revision (【修订】), unchanged ones are not sent again
  5. incentives  the latest full month, mailed to HR only
  6. fail closed  a week before the data starts is requested: not produced, operators told
  7. runs     the run ledger
Re-running is safe: unchanged files are not stored again and nothing is sent twice.`;

export const command: Command = {
  name: 'run',
  help,
  async run(argv, ctx) {
    const { values } = parseCommandArgs(argv, { seed: { type: 'string' } });
    const seed = values.seed ? Number(values.seed) : 42;
    const now = ctx.now();
    const week = latestFullWeek(now);
    const month = latestFullMonth(now);
    const from = month.start < week.start ? month.start : addDays(week.start, -28);
    const to = month.end > week.end ? month.end : week.end;
    const settings = await loadSettings(ctx.configDir);
    const provinces = settings.provinces;
    const lateDay = addDays(week.start, 2);
    const lateName = `revenue_GD_${lateDay.replaceAll('-', '')}.csv`;

    ctx.out(`telco-kpi demo in ${ctx.home}`);
    ctx.out(`  week ${week.id} (${week.start} – ${week.end}), month ${month.id}, provinces ${provinces.join(', ')}`);

    // 1. sample
    const landing = join(ctx.home, 'landing');
    await mkdir(landing, { recursive: true });
    const options: SampleOptions = { from, days: dayNumber(to) - dayNumber(from) + 1, provinces: provinces as SampleOptions['provinces'], seed, scale: 'small' };
    const total = sampleFileCount(options);
    let lateContent = '';
    let written = 0;
    for (const file of generateSample(options)) {
      if (file.fileName === lateName) {
        lateContent = file.content;
        await writeFile(join(landing, file.fileName), breakFile(file.content));
      } else {
        await writeFile(join(landing, file.fileName), file.content);
      }
      if (++written % 200 === 0) ctx.err(`sample: ${written}/${total} files`);
    }
    ctx.out(`1. sample: ${written} extract files (${from} – ${to}) in ${landing}`);

    // 2. ingest
    ctx.out(`2. ingest: ${landing}`);
    const ingestCode = await ingest.run([landing], quiet(ctx, '   '));
    ctx.out(`   ${ingestCode === 0 ? 'every file accepted' : `rejected files above (receipts in ${join(ctx.home, 'receipts')}); the rest are stored in ${join(ctx.home, 'lake')}`}`);

    // 3. weekly reports, sent per scope
    const scopes = ['ALL', ...new Set(settings.recipients.weekly.map((l) => l.scope).filter((s) => s !== 'ALL'))];
    ctx.out(`3. report ${week.id} --send for ${scopes.join(', ')}`);
    for (const scope of scopes) await reportOnce(indent(ctx, '   '), { period: week, scope, lang: 'zh-CN', send: true });

    // 4. the late, corrected file arrives
    const late = join(ctx.home, 'landing-late');
    await mkdir(late, { recursive: true });
    if (lateContent) await writeFile(join(late, lateName), lateContent);
    ctx.out(`4. the corrected ${lateName} arrives late; ingest and re-run the reports`);
    await ingest.run([late], indent(ctx, '   '));
    for (const scope of scopes) await reportOnce(indent(ctx, '   '), { period: week, scope, lang: 'zh-CN', send: true });

    // 5. incentives for HR
    ctx.out(`5. incentives ${month.id} --send (HR only)`);
    await incentivesOnce(indent(ctx, '   '), { month: month.id, send: true });

    // 6. fail closed: a week nobody uploaded
    const empty = weekOf(addDays(from, -7));
    ctx.out(`6. report ${empty.id} --send, a week before any data: must not be sent`);
    await reportOnce(indent(ctx, '   '), { period: empty, scope: 'ALL', lang: 'zh-CN', send: true });

    // 7. the ledger and the outbox
    ctx.out('7. runs (the ledger)');
    await runs.run([], indent(ctx, '   '));
    const outbox = join(ctx.home, 'outbox');
    const emls = (await readdir(outbox).catch(() => [] as string[])).filter((n) => n.endsWith('.eml'));
    ctx.out(ctx.smtpUrl ? `Mail went to ${ctx.smtpUrl.replace(/\/\/[^@/]*@/, '//')}.` : `Outbox: ${emls.length} message(s) in ${outbox}`);
    ctx.out(`Reports: ${join(ctx.home, 'reports', week.id)} and ${join(ctx.home, 'reports', month.id, 'incentives')}`);
    const home = ctx.home === resolve('.telco-kpi') ? '' : ` --home ${ctx.home}`;
    ctx.out('Upload portal for branches (SPEC §9): add a user, start the server, open the page:');
    ctx.out(`   printf '%s' 'a-password-of-10+' | npx telco-kpi users add --province JL --user jl-upload${home}`);
    ctx.out(`   npx telco-kpi serve${home}   → http://127.0.0.1:8080/`);
    return 0;
  },
};

/** A copy of the extract with two broken cells, as a branch might upload it by mistake. */
function breakFile(content: string): string {
  const lines = content.split('\n');
  const header = lines[0]!.split(',');
  const revenue = header.indexOf('revenue');
  const channel = header.indexOf('channel');
  for (const [i, col, value] of [[2, revenue, '"1234,50"'], [5, channel, '营业厅']] as const) {
    const cells = lines[i]?.split(',');
    if (!cells) continue;
    cells[col] = value;
    lines[i] = cells.join(',');
  }
  return lines.join('\n');
}

function indent(ctx: CliContext, prefix: string): CliContext {
  return { ...ctx, out: (line) => ctx.out(line.split('\n').map((l) => prefix + l).join('\n')) };
}

/** Only rejected files and their problems: hundreds of accepted lines help nobody in a demo. */
function quiet(ctx: CliContext, prefix: string): CliContext {
  let accepted = 0;
  let unchanged = 0;
  let showing = false;
  return {
    ...ctx,
    out: (line) => {
      if (line.startsWith('✓')) { accepted++; showing = false; return; }
      if (line.startsWith('=')) { unchanged++; showing = false; return; }
      if (line.startsWith('✗')) showing = true;
      if (showing) ctx.out(prefix + line);
    },
    err: (line) => {
      ctx.err(line);
      if (/ingest: (\d+)\/\1 files/.test(line)) ctx.out(`${prefix}${accepted} accepted, ${unchanged} unchanged`);
    },
  };
}
