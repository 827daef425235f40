/** Every label the executive report shows, in Chinese (default) and English. */
import { PROVINCES, label } from '../extracts/codes.js';
import type { ExtractKind, KpiReport } from '../kpis/kpi-types.js';

export type Lang = 'zh-CN' | 'en';

const zh = {
  sheetSummary: '概览',
  sheetSegmentChannel: '客户群×渠道',
  sheetProvinces: '省份排名',
  sheetProducts: '产品',
  sheetSubSegments: '政企行业',
  sheetService: '服务质量',
  sheetMarket: '市场份额',
  sheetCompleteness: '数据完整性',
  sheetDefinitions: '口径说明',
  reportTitle: '营销KPI',
  kpi: '指标',
  unit: '单位',
  thisWeek: '本周',
  lastWeek: '上周',
  thisMonth: '本月',
  lastMonth: '上月',
  change: '环比',
  rank: '排名',
  segment: '客户群',
  subSegment: '行业',
  channel: '渠道',
  contactChannel: '受理渠道',
  province: '省份',
  product: '产品',
  group: '分组',
  dimension: '维度',
  revenue: '收入',
  revenueYuan: '收入（元）',
  revenueShare: '收入占比',
  revenueGrowth: '收入环比',
  arpu: 'ARPU（元）',
  activeUsers: '在网用户',
  userShare: '用户占比',
  grossAdds: '新增用户',
  churned: '离网用户',
  netAdds: '净增',
  churnRate: '离网率',
  responses: '评价数',
  csat: '满意度 CSAT',
  avgScore: '平均分',
  complaintsPer10k: '投诉率（每万户）',
  firstResponseSla: '首响及时率（30分钟）',
  dataComplete: '数据完整',
  complete: '完整',
  total: '合计',
  unitWan: '万元',
  unitYuan: '元',
  unitWanHu: '万户',
  unitHu: '户',
  unitPer10k: '每万户',
  unitPct: '%',
  month: '月份',
  operator: '运营商',
  self: '本公司',
  marketRevenue: '收入（元）',
  marketRevenueShare: '收入份额',
  marketUsers: '用户数',
  marketUserShare: '用户份额',
  qualityIndex: '用户质量指数',
  usersGrowth: '用户环比',
  received: '已收',
  missing: '缺失',
  daysReceived: '收到/应收天数',
  rejectedUploads: '被拒绝的上传（未被更正）',
  noRejected: '本期没有未更正的被拒绝上传。',
  file: '文件',
  type: '类型',
  day: '日期',
  receivedAt: '接收时间',
  problemCount: '问题数',
  firstProblem: '首个问题',
  gridLegend: '✓ 已收到　✗ 缺失（红色）',
  item: '项目',
  value: '内容',
  definition: '指标口径',
  period: '报告期',
  scope: '范围',
  runId: '运行编号',
  generatedAt: '生成时间',
  dataAsOf: '数据截至',
  notAvailable: '无',
  derivedNote: '上周数值由本周数值与环比推算；无环比的指标上周以“–”表示。',
  previousNote: '上周数值取自上一期报告；上周无数据的指标以“–”表示。',
  derivedNoteMonth: '上月数值由本月数值与环比推算；无环比的指标上月以“–”表示。',
  previousNoteMonth: '上月数值取自上一期报告；上月无数据的指标以“–”表示。',
  nullNote: '“–”表示无数据或不适用，不是零。',
  all: '全国',
  statusComplete: '数据完整：各省各日的销售、收入、服务日报均已收到。',
  statusPartial: '数据不完整，以下省日缺数据：',
  whatMoved: '变动最大',
  comparable: '可比口径',
  basis: '环比口径',
  basisAll: '全部日期',
  workbook: '报表',
  attached: '见附件',
  shanghaiTime: '北京时间',
  weekly: '周报',
  monthly: '月报',
  revision: '修订',
  pointsUnit: '个百分点',
  extract_sales: '销售日报',
  extract_revenue: '收入日报',
  extract_service: '服务日报',
  dimension_total: '合计',
  dimension_segment: '客户群',
  dimension_subSegment: '政企行业',
  dimension_channel: '渠道',
  dimension_segmentChannel: '客户群×渠道',
  dimension_province: '省份',
  dimension_product: '产品',
  marketOnly: '仅市场份额',
  marketOnlyNote: '本月只收到市场竞争月报，没有收入、销售或服务日报：本报告只有市场份额视图，不列收入、用户、销售和服务指标（不是零，而是无数据）。',
};

export type LabelKey = keyof typeof zh;

const en: Record<LabelKey, string> = {
  sheetSummary: 'Summary',
  sheetSegmentChannel: 'Segment x Channel',
  sheetProvinces: 'Provinces',
  sheetProducts: 'Products',
  sheetSubSegments: 'Enterprise sectors',
  sheetService: 'Service quality',
  sheetMarket: 'Market share',
  sheetCompleteness: 'Data completeness',
  sheetDefinitions: 'Definitions',
  reportTitle: 'Marketing KPIs',
  kpi: 'KPI',
  unit: 'Unit',
  thisWeek: 'This week',
  lastWeek: 'Last week',
  thisMonth: 'This month',
  lastMonth: 'Last month',
  change: 'Change',
  rank: 'Rank',
  segment: 'Segment',
  subSegment: 'Sector',
  channel: 'Channel',
  contactChannel: 'Contact channel',
  province: 'Province',
  product: 'Product',
  group: 'Group',
  dimension: 'Dimension',
  revenue: 'Revenue',
  revenueYuan: 'Revenue (CNY)',
  revenueShare: 'Revenue share',
  revenueGrowth: 'Revenue change',
  arpu: 'ARPU (CNY)',
  activeUsers: 'Active users',
  userShare: 'User share',
  grossAdds: 'Gross adds',
  churned: 'Churned',
  netAdds: 'Net adds',
  churnRate: 'Churn rate',
  responses: 'Responses',
  csat: 'CSAT',
  avgScore: 'Avg score',
  complaintsPer10k: 'Complaints per 10k users',
  firstResponseSla: 'First response within 30 min',
  dataComplete: 'Data complete',
  complete: 'complete',
  total: 'Total',
  unitWan: '10k CNY',
  unitYuan: 'CNY',
  unitWanHu: '10k users',
  unitHu: 'users',
  unitPer10k: 'per 10k users',
  unitPct: '%',
  month: 'Month',
  operator: 'Operator',
  self: 'Us',
  marketRevenue: 'Revenue (CNY)',
  marketRevenueShare: 'Revenue share',
  marketUsers: 'Users',
  marketUserShare: 'User share',
  qualityIndex: 'User quality index',
  usersGrowth: 'Users change',
  received: 'received',
  missing: 'missing',
  daysReceived: 'Days received/expected',
  rejectedUploads: 'Rejected uploads (not yet corrected)',
  noRejected: 'No uncorrected rejected uploads in this period.',
  file: 'File',
  type: 'Type',
  day: 'Day',
  receivedAt: 'Received at',
  problemCount: 'Problems',
  firstProblem: 'First problem',
  gridLegend: '✓ received   ✗ missing (red)',
  item: 'Item',
  value: 'Value',
  definition: 'Definition',
  period: 'Period',
  scope: 'Scope',
  runId: 'Run id',
  generatedAt: 'Generated at',
  dataAsOf: 'Data as of',
  notAvailable: 'none',
  derivedNote: 'Last-week figures are derived from this week and its change; KPIs without a change show "–".',
  previousNote: 'Last-week figures are taken from the previous report; a KPI last week has no data for shows "–".',
  derivedNoteMonth: 'Last-month figures are derived from this month and its change; KPIs without a change show "–".',
  previousNoteMonth: 'Last-month figures are taken from the previous report; a KPI last month has no data for shows "–".',
  nullNote: '"–" means no data or not applicable, never zero.',
  all: 'All provinces',
  statusComplete: 'Data complete: every province sent every daily sales, revenue and service extract.',
  statusPartial: 'Data incomplete, these province-days are missing:',
  whatMoved: 'What moved',
  comparable: 'like for like',
  basis: 'Change basis',
  basisAll: 'all days',
  workbook: 'Workbook',
  attached: 'attached',
  shanghaiTime: 'Beijing time',
  weekly: 'Weekly',
  monthly: 'Monthly',
  revision: 'Revised',
  pointsUnit: 'pp',
  extract_sales: 'sales',
  extract_revenue: 'revenue',
  extract_service: 'service',
  dimension_total: 'Total',
  dimension_segment: 'Segment',
  dimension_subSegment: 'Enterprise sector',
  dimension_channel: 'Channel',
  dimension_segmentChannel: 'Segment x channel',
  dimension_province: 'Province',
  dimension_product: 'Product',
  marketOnly: 'market share only',
  marketOnlyNote: 'Only market extracts were received for this month, no revenue, sales or service extract: this report is the market-share view alone; revenue, users, sales and service figures are not shown (no data, not zero).',
};

const LABELS: Record<Lang, Record<LabelKey, string>> = { 'zh-CN': zh, en };

/** The label of a key in the report language. */
export function t(lang: Lang, key: LabelKey): string {
  return LABELS[lang][key];
}

/** `销售日报` / `sales`. */
export function extractLabel(lang: Lang, kind: ExtractKind): string {
  return t(lang, `extract_${kind}`);
}

const MONTHS_EN = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** `M/D` of a `YYYY-MM-DD` day, without leading zeros. */
export function shortDay(day: string): string {
  return `${Number(day.slice(5, 7))}/${Number(day.slice(8, 10))}`;
}

/** `2026年第47周（11/16–11/22）` / `2026 W47 (11/16–11/22)`, `2026年11月` / `November 2026`. */
export function periodLabel(lang: Lang, period: KpiReport['period']): string {
  if (period.kind === 'week') {
    const [year, week] = period.id.split('-W') as [string, string];
    const range = `${shortDay(period.start)}–${shortDay(period.end)}`;
    return lang === 'en' ? `${year} W${week} (${range})` : `${year}年第${Number(week)}周（${range}）`;
  }
  const [year, month] = period.id.split('-') as [string, string];
  return lang === 'en' ? `${MONTHS_EN[Number(month) - 1]} ${year}` : `${year}年${Number(month)}月`;
}

/** `全国` / `All provinces` for ALL, else the province's name. */
export function scopeLabel(lang: Lang, scope: string): string {
  return scope === 'ALL' ? t(lang, 'all') : label(PROVINCES, scope, lang);
}

/** `· 缺2个省日数据` / `· 2 province-days missing`. */
export function missingSuffix(lang: Lang, count: number): string {
  if (lang === 'en') return `${count} province-day${count === 1 ? '' : 's'} missing`;
  return `缺${count}个省日数据`;
}

/** `本周`/`上周` or `本月`/`上月` headings for the period kind. */
export function currentPreviousLabels(lang: Lang, kind: KpiReport['period']['kind']): [string, string] {
  return kind === 'week' ? [t(lang, 'thisWeek'), t(lang, 'lastWeek')] : [t(lang, 'thisMonth'), t(lang, 'lastMonth')];
}

export interface KpiDefinition {
  name: string;
  definition: string;
}

/** Every KPI's definition (指标口径), in the order of SPEC §3. */
export function kpiDefinitions(lang: Lang): KpiDefinition[] {
  const defs: Array<[string, string, string, string]> = [
    ['收入', '报告期内收入日报 revenue 之和（元，可含负数调整）。收入占比 = 分组收入 ÷ 范围合计收入。',
      'Revenue', 'Sum of the revenue extract\'s revenue over the period (CNY, adjustments may be negative). Revenue share = group revenue ÷ scope total.'],
    ['在网用户', '各省在报告期内已收到收入日报的各天在网用户数之和的日均值，再按省相加；未收到的日期算缺失而非零。用户占比 = 分组 ÷ 范围合计。',
      'Active users', 'Per province, the average over the days whose revenue extract was received of the day\'s total active users, summed over provinces; a day not received is missing, not zero. User share = group ÷ scope total.'],
    ['ARPU', '收入 ÷ 在网用户（元/户，报告期口径，不年化）。',
      'ARPU', 'Revenue ÷ active users (CNY per user for the period, not annualised).'],
    ['新增用户', '销售日报中业务类型为“新装/入网”的事件数。',
      'Gross adds', 'Number of sales events of type new.'],
    ['离网用户', '销售日报中业务类型为“离网/拆机”的事件数。',
      'Churned', 'Number of sales events of type churn.'],
    ['净增', '新增用户 − 离网用户。', 'Net adds', 'Gross adds − churned.'],
    ['离网率', '离网用户 ÷ 在网用户。', 'Churn rate', 'Churned ÷ active users.'],
    ['环比', '（本期 − 上期）÷ 上期；上期为零或无可比数据时不计算。适用于收入、新增用户、在网用户、ARPU。比率类指标的变化以百分点表示。',
      'Change', '(this period − previous period) ÷ previous period; not computed when the previous period is zero or nothing comparable remains. For revenue, gross adds, active users and ARPU. Changes of ratios are shown in percentage points.'],
    ['可比口径', '某省某类日报（收入或销售）在本期或上期的第 i 天（周报按星期几，月报按几号）未收到时，该省该类两期第 i 天的数据都不计入环比（收入：收入、在网用户、ARPU 环比；销售：新增用户环比）；只有一期才有的日期（如 31 日）不算缺失。本期数值本身仍包含所有已收到的日期。标注“可比口径”的环比即按此计算，剔除的省日列在概览中。',
      'Like for like', 'When a province\'s daily revenue or sales extract was not received on the i-th day of this period or the previous one (the weekday for a week, the day of the month for a month), that province\'s rows of that type on the i-th day of both periods are left out of the changes (revenue: revenue, active users, ARPU; sales: gross adds); a day only one period has (the 31st) is not missing. The period\'s own figures keep every day received. Changes marked "like for like" are computed so; the summary lists the province-days left out.'],
    ['满意度 CSAT', '有评分的工单中评分 ≥ 4 的占比；评价数 = 有评分的工单数；平均分 = 评分均值。',
      'CSAT', 'Share of scored tickets with a score ≥ 4; responses = tickets with a score; avg score = mean score.'],
    ['投诉率', '投诉工单数 × 10000 ÷ 在网用户（每万户）；按渠道或产品分组时不适用。',
      'Complaints per 10k', 'Complaint tickets × 10 000 ÷ active users; not applicable to groups by channel or product.'],
    ['首响及时率', '投诉及故障工单中首次响应时间 − 受理时间 ≤ 30 分钟的占比；无响应时间的工单计为超时。',
      'First response SLA', 'Share of complaint and fault tickets answered within 30 minutes of opening; a ticket without a response time counts as missed.'],
    ['市场份额', '按省、产品：本公司及各竞争对手的收入份额、用户份额；用户质量指数 = 收入份额 ÷ 用户份额（大于 1 表示用户价值更高）。',
      'Market share', 'Per province and product: each operator\'s revenue share and user share; quality index = revenue share ÷ user share (above 1: higher-value users).'],
    ['数据完整性', '各省各类日报在报告期内的应收天数、实收天数，以及尚未被更正的被拒绝上传。缺失的日期不会被当作零。',
      'Completeness', 'Per province and daily extract: days expected and received in the period, and rejected uploads not yet corrected. A missing day is never shown as zero.'],
  ];
  return defs.map(([zn, zd, enName, ed]) => (lang === 'en' ? { name: enName, definition: ed } : { name: zn, definition: zd }));
}
