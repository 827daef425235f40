import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboxMailer, subjectSlug } from '../../lambdas/adapters/outbox-mailer.js';
import type { MailMessage } from '../../lambdas/core/ports.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'telco-kpi-outbox-'));
  dirs.push(dir);
  return dir;
}

const WORKBOOK = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff, 0x10, 0x80]);
const FIXED = new Date('2026-11-23T01:00:00.000Z');

function message(): MailMessage {
  return {
    from: '"营销KPI" <kpi@telco.example.cn>',
    to: ['ceo@telco.example.cn'],
    cc: ['ops@telco.example.cn'],
    subject: '【周报】营销KPI 2026年第47周（11/16–11/22）· 全国',
    html: '<p>数据完整</p>',
    text: '数据完整',
    attachments: [{ filename: 'report.xlsx', content: WORKBOOK, contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }],
    messageId: '<2026-W47.ALL@telco-kpi>',
  };
}

describe('OutboxMailer', () => {
  it('writes one .eml named by time and subject that mailparser reads back whole', async () => {
    // Prepare
    const dir = await tempDir();
    const mailer = new OutboxMailer(path.join(dir, 'outbox'), () => FIXED);
    // Act
    const receipt = await mailer.send(message());
    // Assess
    const files = await readdir(path.join(dir, 'outbox'));
    expect(files).toEqual(['2026-11-23T01-00-00-000Z-周报-营销kpi-2026年第47周-11-16-11-22-全国.eml']);
    expect(receipt).toEqual({ transport: 'outbox', location: path.join(dir, 'outbox', files[0]!), messageId: '<2026-W47.ALL@telco-kpi>' });
    const parsed = await simpleParser(await readFile(receipt.location));
    expect(parsed.subject).toBe('【周报】营销KPI 2026年第47周（11/16–11/22）· 全国');
    expect((parsed.to as AddressObject).value[0]!.address).toBe('ceo@telco.example.cn');
    expect((parsed.cc as AddressObject).value[0]!.address).toBe('ops@telco.example.cn');
    expect(parsed.messageId).toBe('<2026-W47.ALL@telco-kpi>');
    expect(parsed.html).toContain('数据完整');
    expect(parsed.text?.trim()).toBe('数据完整');
    expect(Buffer.compare(parsed.attachments[0]!.content, Buffer.from(WORKBOOK))).toBe(0);
  });

  it('keeps both messages when two are sent in the same millisecond, leaving no temp file', async () => {
    // Prepare
    const dir = await tempDir();
    const mailer = new OutboxMailer(dir, () => FIXED);
    // Act
    const first = await mailer.send(message());
    const second = await mailer.send({ ...message(), messageId: '<second@telco-kpi>' });
    // Assess
    expect(first.location).not.toBe(second.location);
    expect(second.location.endsWith('-2.eml')).toBe(true);
    expect((await readdir(dir)).sort()).toEqual([path.basename(first.location), path.basename(second.location)].sort());
    expect((await simpleParser(await readFile(first.location))).messageId).toBe('<2026-W47.ALL@telco-kpi>');
    expect((await simpleParser(await readFile(second.location))).messageId).toBe('<second@telco-kpi>');
  });

  it('makes a slug from any script and falls back to message', () => {
    // Prepare, Act, Assess
    expect(subjectSlug('[Weekly] Marketing KPIs 2026 W47 (11/16–11/22) · All provinces')).toBe('weekly-marketing-kpis-2026-w47-11-16-11-22-all-provinces');
    expect(subjectSlug('!!!')).toBe('message');
    expect([...subjectSlug('营'.repeat(100))]).toHaveLength(60);
  });
});
