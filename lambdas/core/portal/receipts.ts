/**
 * What the portal reads for one province: its receipts (by an id that names their key) and the
 * completeness calendar of a week and the one before, from the lake listing and the receipts.
 */
import { receiptKey } from '../extracts/ingest.js';
import { EXTRACT_TYPES, TABLES, type ExtractType } from '../extracts/schema.js';
import { receiptDisplay, type ReceiptDisplay, type ReceiptLang } from '../extracts/receipt-text.js';
import type { Receipt } from '../extracts/validate.js';
import { daysBetween, parsePeriod, previousPeriod, weekOf, type Period } from '../period.js';
import type { ObjectStore } from '../ports.js';

/**
 * A receipt as the portal hands it out: the stored JSON, its id, and its problems and notices as
 * the page shows them in each language (rows as Excel numbers them, columns as the file named them).
 */
export type PortalReceipt = Receipt & { id: string; display: Record<ReceiptLang, ReceiptDisplay> };

export function portalReceipt(receipt: Receipt, id: string): PortalReceipt {
  return { ...receipt, id, display: { 'zh-CN': receiptDisplay(receipt, 'zh-CN'), en: receiptDisplay(receipt, 'en') } };
}

/** The daily extracts the calendar shows. */
export const CALENDAR_TYPES: readonly ExtractType[] = EXTRACT_TYPES.filter((t) => TABLES[t].fileGrain === 'day');

/** The receipt's id: its key under `receipts/` without `.json`, base64url, opaque to the page. */
export function receiptId(receipt: Receipt): string {
  return Buffer.from(receiptKey(receipt).slice('receipts/'.length)).toString('base64url');
}

/**
 * The key an id names, when it is a receipt key of `province` (else undefined: another
 * province's receipt, a made-up id and a key outside receipts/ look the same to the caller).
 */
export function receiptKeyOfId(id: string, province: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,1400}$/.test(id)) return undefined;
  const rest = Buffer.from(id, 'base64url').toString('utf8');
  const parts = rest.split('/');
  if (parts.length !== 4 || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))) return undefined;
  const [type, owner] = parts;
  if (!(EXTRACT_TYPES as readonly string[]).includes(type!) || owner !== province) return undefined;
  return `receipts/${rest}`;
}

/** One receipt of the province (JSON, or the readable text), or undefined when it is not the province's. */
export async function readProvinceReceipt(store: ObjectStore, id: string, province: string, format: 'json' | 'txt'): Promise<{ receipt: PortalReceipt; text?: string } | undefined> {
  const key = receiptKeyOfId(id, province);
  if (!key) return undefined;
  const bytes = await store.get(`${key}.json`);
  if (!bytes) return undefined;
  const receipt = JSON.parse(new TextDecoder().decode(bytes)) as Receipt;
  if (receipt.province !== province) return undefined;
  if (format === 'json') return { receipt: portalReceipt(receipt, id) };
  const text = await store.get(`${key}.txt`);
  return text ? { receipt: portalReceipt(receipt, id), text: new TextDecoder().decode(text) } : undefined;
}

/** The province's receipts, newest first, at most `limit` (keys sort by receipt time within a day). */
export async function listProvinceReceipts(store: ObjectStore, province: string, limit: number): Promise<PortalReceipt[]> {
  const keys: Array<{ key: string; stamp: string }> = [];
  for (const type of EXTRACT_TYPES) {
    for (const key of await store.list(`receipts/${type}/${province}/`)) {
      if (!key.endsWith('.json')) continue;
      const last = key.slice(key.lastIndexOf('/') + 1);
      keys.push({ key, stamp: last.slice(0, last.indexOf('-')) });
    }
  }
  keys.sort((a, b) => (a.stamp < b.stamp ? 1 : a.stamp > b.stamp ? -1 : a.key < b.key ? 1 : -1));
  const receipts: PortalReceipt[] = [];
  for (const { key } of keys.slice(0, limit)) {
    const bytes = await store.get(key);
    if (!bytes) continue;
    const receipt = JSON.parse(new TextDecoder().decode(bytes)) as Receipt;
    if (receipt.province !== province) continue;
    receipts.push(portalReceipt(receipt, Buffer.from(key.slice('receipts/'.length, -'.json'.length)).toString('base64url')));
  }
  return receipts.sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
}

/** The ISO week `?week=` asks for (default the week of today), or why it is not one. */
export function requestedWeek(asked: string | null, today: string): Period | { error: string } {
  if (!asked) return weekOf(today);
  let week: Period;
  try {
    week = parsePeriod(asked);
  } catch (error) {
    return { error: (error as Error).message };
  }
  return week.kind === 'week' ? week : { error: `'${asked}' is not an ISO week: use e.g. 2026-W47` };
}

/** A day × type of the calendar: stored, only rejected uploads, not yet due, or missing. */
export type CellStatus = 'received' | 'rejected' | 'missing' | 'upcoming';

export interface CalendarCell {
  day: string;
  type: ExtractType;
  status: CellStatus;
  /** The latest receipt of that day and type, when there is one. */
  receiptId?: string;
  file?: string;
}

export interface Completeness {
  province: string;
  /** The week asked for, then the one before. */
  weeks: Array<Pick<Period, 'id' | 'start' | 'end'>>;
  types: readonly ExtractType[];
  cells: CalendarCell[];
}

/**
 * The calendar of `week` and the week before for one province: a day × type is received when its
 * lake partition exists (an accepted file, even one without rows), rejected when only rejected
 * uploads came for it, upcoming from `today` on (Asia/Shanghai: a day's extract comes the day after), else missing.
 */
export async function provinceCompleteness(store: ObjectStore, province: string, week: Period, today: string): Promise<Completeness> {
  const before = previousPeriod(week);
  const days = daysBetween(before.start, week.end);
  const cells: CalendarCell[] = [];
  for (const type of CALENDAR_TYPES) {
    const stored = new Set<string>();
    for (const key of await store.list(`lake/${type}/dt=`)) {
      const m = /^lake\/[a-z]+\/dt=(\d{4}-\d{2}-\d{2})\/province=([A-Z]{2})\/data\.parquet$/.exec(key);
      if (m && m[2] === province) stored.add(m[1]!);
    }
    const latest = new Map<string, { key: string; stamp: string }>();
    for (const key of await store.list(`receipts/${type}/${province}/`)) {
      if (!key.endsWith('.json')) continue;
      const [, , , day, last = ''] = key.split('/');
      if (!day || day < before.start || day > week.end) continue;
      const stamp = last.slice(0, last.indexOf('-'));
      const held = latest.get(day);
      if (!held || stamp > held.stamp) latest.set(day, { key, stamp });
    }
    for (const day of days) {
      const receipt = latest.get(day);
      const status: CellStatus = stored.has(day) ? 'received' : receipt ? 'rejected' : day >= today ? 'upcoming' : 'missing';
      const cell: CalendarCell = { day, type, status };
      if (receipt) {
        cell.receiptId = Buffer.from(receipt.key.slice('receipts/'.length, -'.json'.length)).toString('base64url');
        const last = receipt.key.slice(receipt.key.lastIndexOf('/') + 1, -'.json'.length);
        cell.file = last.slice(last.indexOf('-') + 1);
      }
      cells.push(cell);
    }
  }
  return { province, weeks: [week, before].map(({ id, start, end }) => ({ id, start, end })), types: CALENDAR_TYPES, cells };
}
