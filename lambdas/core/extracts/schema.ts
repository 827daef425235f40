/**
 * The extract schemas of SPEC §2, each declared once. These declarations drive the validator,
 * the local Parquet lake, the Glue tables and the docs table in the README.
 */
import {
  CHANNELS, EVENT_TYPES, PRODUCTS, PROVINCES, ROLES, SEGMENTS, SUB_SEGMENTS, TARGET_KPIS, TARGET_SEGMENTS, TICKET_CATEGORIES,
  type CodeList,
} from './codes.js';

export type ColumnType =
  | { kind: 'string'; maxLength?: number }
  | { kind: 'code'; list: CodeList; open?: false }
  | { kind: 'date' }
  | { kind: 'month' }
  | { kind: 'timestamp' }
  /** A plain decimal: CNY with at most 2 decimals unless `decimals` allows more (stored DECIMAL(18, decimals)). */
  | { kind: 'money'; signed?: boolean; decimals?: number }
  /** `max` keeps every SUM of the column far inside BIGINT on Athena/Trino, which fail on overflow where DuckDB widens. */
  | { kind: 'integer'; min?: number; max?: number };

export interface ColumnDecl {
  /** English name: the stored column name and the canonical header. */
  readonly name: string;
  /** Chinese header aliases accepted in uploads (the first is the display label). */
  readonly aliases: readonly string[];
  readonly type: ColumnType;
  /** true: must be present in every row; false: optional (empty allowed). */
  readonly required: boolean;
  /** Value used when the cell is empty and the column is optional (else null). */
  readonly default?: string;
  readonly description: string;
  /** Kept only in the lake, computed at ingest (never read from the file). */
  readonly derived?: boolean;
}

/** How one file of this type maps onto a period: one day, one month, or a whole roster. */
export type FileGrain = 'day' | 'month' | 'roster';

export interface TableDecl {
  readonly name: ExtractType;
  readonly titleZh: string;
  readonly grain: string;
  readonly fileGrain: FileGrain;
  readonly columns: readonly ColumnDecl[];
  /** Columns that together are unique within one file. */
  readonly key: readonly string[];
  /** Column holding the file's day (or month) that must equal the file's day. */
  readonly dayColumn?: string;
  /** Plain-language row rules checked by the validator (see validate.ts), for the docs. */
  readonly rules: readonly string[];
  /** Partition columns of the lake, in path order. */
  readonly partitions: readonly ('dt' | 'month' | 'province')[];
}

export const EXTRACT_TYPES = ['sales', 'revenue', 'service', 'managers', 'market', 'targets'] as const;
export type ExtractType = (typeof EXTRACT_TYPES)[number];

/**
 * Most users one row may count: more than any operator has in all of China (~1.0e9 for the
 * largest). SUM over BIGINT fails on Athena/Trino past 9.2e18 (DuckDB widens silently): at this
 * bound that takes 9.2e9 rows, each at the maximum, in one query, where a national year of
 * revenue extracts holds a few million.
 */
export const MAX_USERS = 1_000_000_000;

const str = (maxLength = 64): ColumnType => ({ kind: 'string', maxLength });
const code = (list: CodeList): ColumnType => ({ kind: 'code', list });

const province: ColumnDecl = { name: 'province', aliases: ['省份', '省分', '省'], type: code(PROVINCES), required: true, description: 'ISO 3166-2:CN code without CN- (JL, GD…); must be the file\'s province' };
const city: ColumnDecl = { name: 'city', aliases: ['地市', '城市'], type: str(), required: true, description: 'city (地市) name or code' };
const customerId: ColumnDecl = { name: 'customer_id', aliases: ['客户编号', '客户ID'], type: str(), required: true, description: 'pseudonymous customer id; never a phone or ID-card number' };
const segment: ColumnDecl = { name: 'segment', aliases: ['客户群'], type: code(SEGMENTS), required: true, description: 'public 公众, household 家庭, enterprise 政企' };
const subSegment: ColumnDecl = { name: 'sub_segment', aliases: ['行业', '子客户群'], type: code(SUB_SEGMENTS), required: false, description: 'enterprise only (gov, finance, large, sme, transport_energy, cluster_high, cluster_general), else empty' };
const channel: ColumnDecl = { name: 'channel', aliases: ['渠道', '渠道归属', '受理渠道'], type: code(CHANNELS), required: true, description: 'direct, own_hall, partner_hall, agent, online, hotline, app' };
const product: ColumnDecl = { name: 'product', aliases: ['产品'], type: code(PRODUCTS), required: true, description: 'mobile, broadband, fixed, bundle, ict' };
const accountManagerId: ColumnDecl = { name: 'account_manager_id', aliases: ['客户经理工号', '工号'], type: str(), required: false, description: 'account manager id' };

export const SALES: TableDecl = {
  name: 'sales',
  titleZh: '销售日报',
  grain: 'one row per sales event',
  fileGrain: 'day',
  dayColumn: 'event_date',
  key: ['event_id'],
  partitions: ['dt', 'province'],
  rules: [
    'event_id is unique within the file',
    'event_date is the file\'s day; province is the file\'s province',
    'sub_segment is given for enterprise and empty otherwise',
    'account_manager_id is required when channel = direct; agent_id when channel = agent',
    'prev_monthly_fee is required for upgrade and downgrade',
    'customer_id is not a phone or ID-card number',
  ],
  columns: [
    { name: 'event_id', aliases: ['流水号'], type: str(), required: true, description: 'event id, unique within the file' },
    { name: 'event_date', aliases: ['日期'], type: { kind: 'date' }, required: true, description: 'the file\'s day (YYYY-MM-DD)' },
    province, city, customerId, segment, subSegment, channel, accountManagerId,
    { name: 'agent_id', aliases: ['代理商编号'], type: str(), required: false, description: 'agent id; required when channel = agent' },
    product,
    { name: 'package', aliases: ['套餐'], type: str(), required: true, description: 'package name, e.g. e9-129' },
    { name: 'event_type', aliases: ['业务类型'], type: code(EVENT_TYPES), required: true, description: 'new, upgrade, downgrade, renewal, churn' },
    { name: 'monthly_fee', aliases: ['月费'], type: { kind: 'money' }, required: true, description: 'package monthly value after the event (CNY ≥ 0)' },
    { name: 'prev_monthly_fee', aliases: ['原月费'], type: { kind: 'money' }, required: false, description: 'monthly value before; required for upgrade/downgrade' },
    { name: 'one_off_fee', aliases: ['一次性收入'], type: { kind: 'money' }, required: false, default: '0', description: 'one-off revenue (CNY ≥ 0), default 0' },
  ],
};

export const REVENUE: TableDecl = {
  name: 'revenue',
  titleZh: '收入日报',
  grain: 'one row per day × city × segment × sub_segment × channel × product',
  fileGrain: 'day',
  dayColumn: 'date',
  key: ['date', 'city', 'segment', 'sub_segment', 'channel', 'product'],
  partitions: ['dt', 'province'],
  rules: [
    'the key columns are unique within the file',
    'date is the file\'s day; province is the file\'s province',
    'sub_segment is given for enterprise and empty otherwise',
  ],
  columns: [
    { name: 'date', aliases: ['日期'], type: { kind: 'date' }, required: true, description: 'the file\'s day (YYYY-MM-DD)' },
    province, city, segment, subSegment,
    { ...channel, description: 'the channel that acquired the user (渠道归属)' },
    product,
    { name: 'revenue', aliases: ['收入'], type: { kind: 'money', signed: true }, required: true, description: 'revenue in CNY (may be negative for adjustments)' },
    { name: 'active_users', aliases: ['在网用户数'], type: { kind: 'integer', min: 0, max: MAX_USERS }, required: true, description: 'users in service (integer 0 to 1,000,000,000)' },
  ],
};

export const SERVICE: TableDecl = {
  name: 'service',
  titleZh: '服务日报',
  grain: 'one row per service contact',
  fileGrain: 'day',
  key: ['ticket_id'],
  partitions: ['dt', 'province'],
  rules: [
    'ticket_id is unique within the file; province is the file\'s province',
    'resolved_at and first_response_at are not before opened_at',
    'satisfaction is an integer 1–5 when given',
    'a timestamp without offset is Asia/Shanghai time; a ticket belongs to the day of its opened_at there',
  ],
  columns: [
    { name: 'ticket_id', aliases: ['工单号'], type: str(), required: true, description: 'ticket id, unique within the file' },
    { name: 'opened_at', aliases: ['受理时间'], type: { kind: 'timestamp' }, required: true, description: 'ISO 8601; without offset = Asia/Shanghai' },
    province, city, customerId, segment, subSegment,
    { ...channel, description: 'where the contact came in (受理渠道)' },
    { name: 'category', aliases: ['类别'], type: code(TICKET_CATEGORIES), required: true, description: 'complaint, fault, inquiry, visit' },
    accountManagerId,
    { name: 'first_response_at', aliases: ['首次响应时间'], type: { kind: 'timestamp' }, required: false, description: 'first response time (optional)' },
    { name: 'resolved_at', aliases: ['办结时间'], type: { kind: 'timestamp' }, required: false, description: 'resolution time (optional, ≥ opened_at)' },
    { name: 'satisfaction', aliases: ['满意度'], type: { kind: 'integer', min: 1, max: 5 }, required: false, description: 'integer 1–5 (optional)' },
    { name: 'opened_date', aliases: [], type: { kind: 'date' }, required: true, derived: true, description: 'day of opened_at in Asia/Shanghai (derived)' },
  ],
};

export const MANAGERS: TableDecl = {
  name: 'managers',
  titleZh: '客户经理名册',
  grain: 'one row per account manager; a file replaces the province\'s roster',
  fileGrain: 'roster',
  key: ['account_manager_id'],
  partitions: ['province'],
  rules: ['account_manager_id is unique; province is the file\'s province', 'end_date is not before start_date'],
  columns: [
    { ...accountManagerId, required: true },
    { name: 'name', aliases: ['姓名'], type: str(), required: true, description: 'full name' },
    province, city,
    { name: 'team', aliases: ['班组'], type: str(), required: true, description: 'team (班组)' },
    { name: 'role', aliases: ['角色', '岗位'], type: code(ROLES), required: true, description: 'account_manager, vip_manager, community_manager' },
    { name: 'start_date', aliases: ['入职日期', '开始日期'], type: { kind: 'date' }, required: true, description: 'first day in role' },
    { name: 'end_date', aliases: ['离职日期', '结束日期'], type: { kind: 'date' }, required: false, description: 'last day in role (optional)' },
  ],
};

export const MARKET: TableDecl = {
  name: 'market',
  titleZh: '市场竞争月报',
  grain: 'one row per month × province × operator × product',
  fileGrain: 'month',
  dayColumn: 'month',
  key: ['operator', 'product'],
  partitions: ['month', 'province'],
  rules: ['month is the file\'s month; province is the file\'s province', 'operator × product is unique; exactly one operator is "self"'],
  columns: [
    { name: 'month', aliases: ['月份'], type: { kind: 'month' }, required: true, description: 'YYYY-MM' },
    province,
    { name: 'operator', aliases: ['运营商'], type: str(), required: true, description: '"self" for this operator, any other name for a competitor' },
    product,
    { name: 'revenue', aliases: ['收入'], type: { kind: 'money' }, required: true, description: 'the month\'s revenue (CNY)' },
    { name: 'users', aliases: ['用户数'], type: { kind: 'integer', min: 0, max: MAX_USERS }, required: true, description: 'users at month end (0 to 1,000,000,000)' },
  ],
};

/** Decimals a target may have: a CSAT target of 92.5 % is 0.925. */
export const TARGET_DECIMALS = 4;

export const TARGETS: TableDecl = {
  name: 'targets',
  titleZh: '月度指标',
  grain: 'one row per month × province × segment (or ALL) × KPI; a file replaces the province\'s targets for the month',
  fileGrain: 'month',
  dayColumn: 'month',
  key: ['segment', 'kpi'],
  partitions: ['month', 'province'],
  rules: [
    'month is the file\'s month; province is the file\'s province',
    'segment × kpi is unique',
    'target is not 0; revenue, grossAdds and arpu are > 0; grossAdds and netAdds are whole numbers; csat is a fraction above 0 and at most 1 (0.92 = 92 %)',
  ],
  columns: [
    { name: 'month', aliases: ['月份'], type: { kind: 'month' }, required: true, description: 'YYYY-MM' },
    province,
    { name: 'segment', aliases: ['客户群'], type: code(TARGET_SEGMENTS), required: true, description: 'a segment code (public, household, enterprise) or ALL 全部 for the whole province' },
    { name: 'kpi', aliases: ['指标'], type: code(TARGET_KPIS), required: true, description: 'revenue 收入, grossAdds 新增用户, netAdds 净增用户, arpu ARPU, csat 满意度' },
    { name: 'target', aliases: ['目标值', '目标', '月目标'], type: { kind: 'money', signed: true, decimals: TARGET_DECIMALS }, required: true, description: 'the month\'s target: CNY for revenue and arpu (ARPU per user for the month), users for grossAdds and netAdds, a fraction for csat' },
  ],
};

export const TABLES: Readonly<Record<ExtractType, TableDecl>> = {
  sales: SALES, revenue: REVENUE, service: SERVICE, managers: MANAGERS, market: MARKET, targets: TARGETS,
};

/** The columns read from an uploaded file (derived ones are computed at ingest). */
export function inputColumns(table: TableDecl): ColumnDecl[] {
  return table.columns.filter((c) => !c.derived);
}

/** SQL type of a column in the lake (DuckDB) — Parquet physical types follow from it. */
export function sqlType(type: ColumnType): string {
  switch (type.kind) {
    case 'string': case 'code': case 'month': return 'VARCHAR';
    case 'date': return 'DATE';
    case 'timestamp': return 'TIMESTAMP';
    case 'money': return `DECIMAL(18,${type.decimals ?? 2})`;
    case 'integer': return 'BIGINT';
  }
}

/** Hive/Glue type of a column, for the Glue table generated from the same declaration. */
export function glueType(type: ColumnType): string {
  switch (type.kind) {
    case 'string': case 'code': case 'month': return 'string';
    case 'date': return 'date';
    case 'timestamp': return 'timestamp';
    case 'money': return `decimal(18,${type.decimals ?? 2})`;
    case 'integer': return 'bigint';
  }
}

/** Every header (English name, any case, or Chinese alias) mapped to its column. */
export function headerLookup(table: TableDecl): Map<string, ColumnDecl> {
  const lookup = new Map<string, ColumnDecl>();
  for (const column of inputColumns(table)) {
    lookup.set(column.name, column);
    for (const alias of column.aliases) lookup.set(alias, column);
  }
  return lookup;
}

/** The object key of one stored partition: `lake/<type>/dt=…/province=…/data.parquet`. */
export function partitionKey(type: ExtractType, partition: { day?: string; month?: string; province: string }): string {
  const table = TABLES[type];
  const parts = table.partitions.map((p) => {
    if (p === 'province') return `province=${partition.province}`;
    if (p === 'month') return `month=${partition.month}`;
    return `dt=${partition.day}`;
  });
  return ['lake', type, ...parts, 'data.parquet'].join('/');
}
