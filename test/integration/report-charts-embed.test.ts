/**
 * The charts where readers see them (SPEC §10 Charts): inline in the weekly e-mail as CID images of a
 * multipart/related body — through all three transports (the .eml outbox, a real SMTP server, SES
 * raw) — with their figures in text beside them, and embedded in 概览 beside its tables. The report
 * is the fixture lake's 2026-W47 (test/fixtures/lake), its trend holding weeks with no data.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import ExcelJS from 'exceljs';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartFontFiles } from '../../lambdas/adapters/chart-fonts.js';
import { DuckDbQueryEngine } from '../../lambdas/adapters/duckdb-query-engine.js';
import { OutboxMailer } from '../../lambdas/adapters/outbox-mailer.js';
import { SesMailer } from '../../lambdas/adapters/ses-mailer.js';
import { SmtpMailer } from '../../lambdas/adapters/smtp-mailer.js';
import { FONTS_DIR, QUERIES_DIR } from '../../lambdas/config.js';
import { computeKpisWithPrevious } from '../../lambdas/core/kpis/kpis.js';
import type { KpiReport } from '../../lambdas/core/kpis/kpi-types.js';
import { parsePeriod } from '../../lambdas/core/period.js';
import type { MailMessage } from '../../lambdas/core/ports.js';
import { renderReportCharts, type ReportChart } from '../../lambdas/core/report/charts.js';
import { composeReportMail } from '../../lambdas/core/report/mail.js';
import { buildReportWorkbook, CHART_COLUMN } from '../../lambdas/core/report/workbook.js';
import { writeFixtureLake } from '../fixtures/lake/write-lake.js';
import { startScriptedSmtp } from '../helpers/smtp.js';
import { decodePng } from '../helpers/png.js';

const NOW = new Date('2026-11-23T01:00:00Z');
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/**
 * The weekly e-mail with both charts and the workbook: a phone on a mobile network should not
 * download more than this (measured: 280 KB, of which the two PNGs are 91 KB, 123 KB in base64,
 * and the workbook 93 KB, 126 KB in base64).
 */
const MAX_MAIL_BYTES = 400_000;

let home: string;
let report: KpiReport;
let charts: ReportChart[];
let message: MailMessage;
let xlsx: Uint8Array;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'telco-kpi-charts-'));
  await writeFixtureLake(home);
  const engine = new DuckDbQueryEngine(home, QUERIES_DIR);
  try {
    const computed = await computeKpisWithPrevious(engine, { period: parsePeriod('2026-W47'), scope: 'ALL', expectedProvinces: ['JL', 'GD'], rejectedUploads: [], now: NOW });
    report = computed.report;
    charts = await renderReportCharts(report, { lang: 'zh-CN', fontFiles: chartFontFiles(FONTS_DIR, 'test') });
    xlsx = await buildReportWorkbook(report, { lang: 'zh-CN', runId: 'run-1', previous: computed.previous, charts });
    const { images, ...mail } = composeReportMail(report, { lang: 'zh-CN', runId: '20261123T010000Z-ab12', workbookName: 'report.xlsx', previous: computed.previous, charts });
    message = {
      from: 'kpi@telco.example.cn', to: ['exec@telco.example.cn'], messageId: '<2026-W47.ALL@telco-kpi>', ...mail,
      attachments: [...images, { filename: 'report.xlsx', content: xlsx, contentType: XLSX }],
    };
  } finally {
    await engine.close();
  }
});

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

/** What every transport must deliver: both charts inline, shown by cid, the figures beside them, the workbook attached. */
function expectInlineCharts(raw: Buffer, parsed: ParsedMail): void {
  const html = parsed.html || '';
  expect(raw.toString('utf8')).toMatch(/Content-Type: multipart\/related/i);
  const inline = parsed.attachments.filter((a) => a.related);
  expect(inline.map((a) => [a.filename, a.contentType, a.contentDisposition])).toEqual([['trend.png', 'image/png', 'inline'], ['mix.png', 'image/png', 'inline']]);
  for (const [i, image] of inline.entries()) {
    expect(image.cid).toBe(`${charts[i]!.id}.20261123T010000Z-ab12@telco-kpi`);
    expect(html).toContain(`src="cid:${image.cid}"`);
    const png = decodePng(image.content);
    expect(png.width).toBe(1200);
    expect(png.height).toBe(decodePng(charts[i]!.png).height);
    expect(Buffer.from(image.content).equals(Buffer.from(charts[i]!.png))).toBe(true);
  }
  // For mail clients that block images: the alt text, and the figures as a table and in the text part.
  expect(html).toContain('alt="近13周收入趋势图：本周 0.4（部分数据 5/14）；上周 0.1（部分数据 1/14）"');
  expect(html).toContain('<td style="padding:3px 6px;border-bottom:1px solid #e1e6ef;text-align:left;vertical-align:top;">部分数据 5/14</td>');
  expect(html).toMatch(/<img [^>]*width="568"/);
  expect(parsed.text).toContain('近13周收入趋势（万元）');
  expect(parsed.text).toContain('11/16  0.4  0.2  0.1  0.1  部分数据 5/14');
  expect(parsed.text).toContain('11/2  –  –  –  –  无数据');
  expect(parsed.attachments.filter((a) => !a.related).map((a) => a.filename)).toEqual(['report.xlsx']);
  expect(raw.byteLength).toBeLessThan(MAX_MAIL_BYTES);
}

describe('the weekly e-mail with charts', () => {
  it('is written to the outbox as one .eml with the charts inline', async () => {
    // Prepare
    const dir = join(home, 'outbox');
    // Act
    await new OutboxMailer(dir, () => NOW).send(message);
    // Assess
    const [file] = await readdir(dir);
    const raw = await readFile(join(dir, file!));
    expectInlineCharts(raw, await simpleParser(raw, { keepCidLinks: true }));
  });

  it('reaches a real SMTP server with the charts inline', async () => {
    // Prepare
    const smtp = await startScriptedSmtp([]);
    const mailer = new SmtpMailer(smtp.url);
    try {
      // Act
      await mailer.send(message);
      // Assess
      expect(smtp.received).toHaveLength(1);
      const raw = smtp.received[0]!.raw;
      expectInlineCharts(raw, await simpleParser(raw, { keepCidLinks: true }));
    } finally {
      mailer.close();
      await smtp.close();
    }
  });

  it('goes to SES as raw MIME with the charts inline, and keeps them inline when the workbook must become a link', async () => {
    // Prepare
    const ses = mockClient(SESv2Client);
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });
    const linked: string[] = [];
    const mailer = (maxMessageBytes?: number) => new SesMailer(new SESv2Client({ region: 'cn-northwest-1' }), {
      maxMessageBytes, linkFor: async (a) => { linked.push(a.filename); return `https://example.cn/${a.filename}`; },
    });
    try {
      // Act
      await mailer().send(message);
      await mailer(150_000 + xlsx.byteLength / 2).send(message);
      // Assess
      const raws = ses.commandCalls(SendEmailCommand).map((c) => Buffer.from(c.args[0].input.Content!.Raw!.Data!));
      expectInlineCharts(raws[0]!, await simpleParser(raws[0]!, { keepCidLinks: true }));
      const linkedMail = await simpleParser(raws[1]!, { keepCidLinks: true });
      expect(linked).toEqual(['report.xlsx']);
      expect(linkedMail.attachments.map((a) => [a.filename, a.related])).toEqual([['trend.png', true], ['mix.png', true]]);
      expect(linkedMail.html || '').toContain('https://example.cn/report.xlsx');
    } finally {
      ses.restore();
    }
  });
});

describe('the weekly workbook with charts', () => {
  it('embeds both charts in 概览 to the right of its tables, below the frozen header, with their figures under them', async () => {
    // Act
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(xlsx) as unknown as ExcelJS.Buffer);
    // Assess
    const ws = wb.getWorksheet('概览')!;
    const images = ws.getImages();
    expect(images).toHaveLength(2);
    const tableColumns = 6; // A–F: 指标, 单位, 本周, 上周, 环比, 环比口径
    let previousBottom = 0;
    for (const [i, image] of images.entries()) {
      const tl = image.range.tl as unknown as { nativeCol: number; nativeRow: number };
      expect(tl.nativeCol).toBe(CHART_COLUMN - 1);
      expect(tl.nativeCol).toBeGreaterThan(tableColumns - 1);
      expect(tl.nativeRow).toBeGreaterThanOrEqual(4); // row 5: under the frozen rows 1–4
      expect(tl.nativeRow).toBeGreaterThan(previousBottom);
      const ext = (image.range as unknown as { ext: { width: number; height: number } }).ext;
      expect(ext.width).toBe(charts[i]!.width);
      previousBottom = tl.nativeRow + Math.ceil(ext.height / 20);
      const media = wb.model.media.find((m) => (m as unknown as { index: number }).index === Number(image.imageId)) as unknown as { buffer: Buffer; extension: string };
      expect(media.extension).toBe('png');
      expect(decodePng(media.buffer).width).toBe(1200);
    }
    // The KPI table is where it was, and the trend's figures sit in column H under the pictures.
    expect(ws.getCell('A4').value).toBe('指标');
    const column = ws.getColumn(CHART_COLUMN).values.map(String);
    expect(column).toContain('近13周收入趋势（万元）');
    expect(column).toContain('起始日');
    expect(column).toContain('11/16');
    const row1116 = ws.getColumn(CHART_COLUMN).values.findIndex((v) => v === '11/16');
    expect(ws.getRow(row1116).getCell(CHART_COLUMN + 1).value).toBe('0.4');
    expect(ws.getRow(row1116).getCell(CHART_COLUMN + 5).value).toBe('部分数据 5/14');
  });
});
