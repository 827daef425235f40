/**
 * Per-recipient scope through the CLI over a real lake: each provincial list receives only its
 * province's workbook, the national list ALL, and only HR ever receives the incentive tally.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../lambdas/cli/main.js';
import { parsePeriod } from '../../lambdas/core/period.js';
import { GD_EXEC, HR, JL_EXEC, LakeTemplate, NATIONAL, OPERATORS, writeConfigDir } from '../helpers/lake.js';
import { readOutbox, type OutboxMail } from '../helpers/outbox.js';

const W47 = parsePeriod('2026-W47');
const NOW = Date.parse('2026-11-23T06:00:00Z');
const EXECUTIVES = [...NATIONAL, JL_EXEC, GD_EXEC];

async function provincesIn(mail: OutboxMail): Promise<string[]> {
  // The workbook is the one download; the charts ride inline (drawn from the same scoped report).
  const files = mail.parsed.attachments.filter((a) => !a.related);
  expect(files).toHaveLength(1);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(files[0]!.content as unknown as ArrayBuffer);
  const ws = wb.getWorksheet('省份排名');
  if (!ws) throw new Error('no 省份排名 sheet');
  const names: string[] = [];
  for (let r = 2; r <= ws.rowCount; r++) {
    const value = ws.getRow(r).getCell(2).value;
    if (value !== null && value !== undefined && value !== '') names.push(String(value));
  }
  return names.sort();
}

describe('per-recipient scope', () => {
  let lake: LakeTemplate;
  let home: string;
  let mails: OutboxMail[];
  const codes: number[] = [];
  const out: string[] = [];

  beforeAll(async () => {
    // Prepare: JL and GD, every extract type, one week of November.
    lake = await LakeTemplate.build({ from: W47.start, days: 7, provinces: ['JL', 'GD'] });
    home = await lake.copy();
    const configDir = await writeConfigDir(join(home, 'config'), { provinces: ['JL', 'GD'] });
    const cli = (args: string[]) => main([...args, '--home', home], { configDir, now: () => new Date(NOW), out: (l) => out.push(l), err: (l) => out.push(l) });
    // Act: every weekly scope, then the month's incentives.
    for (const scope of ['ALL', 'JL', 'GD']) codes.push(await cli(['report', '--send', '--week', W47.id, '--scope', scope]));
    codes.push(await cli(['incentives', '--month', '2026-11', '--send']));
    mails = await readOutbox(join(home, 'outbox'));
  }, 30_000);
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
    await lake.remove();
  });

  // The job header holds the (Chinese) list name, so it travels as an RFC 2047 encoded word; its
  // leading `kind/period/scope` part is ASCII and is all these checks need.
  const jobOf = (m: OutboxMail) => String(m.parsed.headers.get('x-telco-kpi-job') ?? '').replace(/^=\?UTF-8\?[QB]\?/i, '');

  it('sends every job once, and nothing to operators', () => {
    expect(codes, out.join('\n')).toEqual([0, 0, 0, 0]);
    expect(mails.map(jobOf).map((j) => j.split('/').slice(0, 3).join('/')).sort()).toEqual(['incentives/2026-11/HR', 'weekly/2026-W47/ALL', 'weekly/2026-W47/GD', 'weekly/2026-W47/JL']);
    expect(mails.filter((m) => m.to.includes(OPERATORS))).toEqual([]);
  });

  it('a provincial list receives only its province, the national list ALL', async () => {
    const to = (address: string) => mails.filter((m) => m.to.includes(address) && jobOf(m).startsWith('weekly/'));
    const [jl] = to(JL_EXEC);
    const [gd] = to(GD_EXEC);
    const [national] = to(NATIONAL[0]!);
    expect([to(JL_EXEC).length, to(GD_EXEC).length, to(NATIONAL[0]!).length]).toEqual([1, 1, 1]);
    expect(jl!.to).toEqual([JL_EXEC]);
    expect(gd!.to).toEqual([GD_EXEC]);
    expect(national!.to).toEqual(NATIONAL);
    expect(jl!.subject).toContain('吉林');
    expect(await provincesIn(jl!)).toEqual(['吉林']);
    expect(await provincesIn(gd!)).toEqual(['广东']);
    expect(await provincesIn(national!)).toEqual(['吉林', '广东'].sort());
  });

  it('only HR receives incentives; no executive address ever does', () => {
    const incentives = mails.filter((m) => jobOf(m).startsWith('incentives/'));
    expect(incentives).toHaveLength(1);
    expect(incentives[0]!.to).toEqual([HR]);
    for (const mail of mails) {
      if (mail.to.some((a) => EXECUTIVES.includes(a))) expect(jobOf(mail)).toMatch(/^weekly\//);
      if (mail.to.includes(HR)) expect(jobOf(mail)).toMatch(/^incentives\//);
    }
  });
});
