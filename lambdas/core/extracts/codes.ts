/** Code lists of SPEC §2: each code with its Chinese label, which uploads may use instead of the code. */

export interface CodeList {
  readonly name: string;
  readonly codes: Readonly<Record<string, { zh: string; en: string; aliases?: readonly string[] }>>;
}

export const PROVINCES = {
  name: 'province',
  codes: {
    BJ: { zh: '北京', en: 'Beijing' }, TJ: { zh: '天津', en: 'Tianjin' }, HE: { zh: '河北', en: 'Hebei' },
    SX: { zh: '山西', en: 'Shanxi' }, NM: { zh: '内蒙古', en: 'Inner Mongolia' }, LN: { zh: '辽宁', en: 'Liaoning' },
    JL: { zh: '吉林', en: 'Jilin' }, HL: { zh: '黑龙江', en: 'Heilongjiang' }, SH: { zh: '上海', en: 'Shanghai' },
    JS: { zh: '江苏', en: 'Jiangsu' }, ZJ: { zh: '浙江', en: 'Zhejiang' }, AH: { zh: '安徽', en: 'Anhui' },
    FJ: { zh: '福建', en: 'Fujian' }, JX: { zh: '江西', en: 'Jiangxi' }, SD: { zh: '山东', en: 'Shandong' },
    HA: { zh: '河南', en: 'Henan' }, HB: { zh: '湖北', en: 'Hubei' }, HN: { zh: '湖南', en: 'Hunan' },
    GD: { zh: '广东', en: 'Guangdong' }, GX: { zh: '广西', en: 'Guangxi' }, HI: { zh: '海南', en: 'Hainan' },
    CQ: { zh: '重庆', en: 'Chongqing' }, SC: { zh: '四川', en: 'Sichuan' }, GZ: { zh: '贵州', en: 'Guizhou' },
    YN: { zh: '云南', en: 'Yunnan' }, XZ: { zh: '西藏', en: 'Tibet' }, SN: { zh: '陕西', en: 'Shaanxi' },
    GS: { zh: '甘肃', en: 'Gansu' }, QH: { zh: '青海', en: 'Qinghai' }, NX: { zh: '宁夏', en: 'Ningxia' },
    XJ: { zh: '新疆', en: 'Xinjiang' },
  },
} as const satisfies CodeList;

export type Province = keyof typeof PROVINCES.codes;
export const PROVINCE_CODES = Object.keys(PROVINCES.codes) as Province[];

export const SEGMENTS = {
  name: 'segment',
  codes: {
    public: { zh: '公众', en: 'Public' },
    household: { zh: '家庭', en: 'Household' },
    enterprise: { zh: '政企', en: 'Enterprise' },
  },
} as const satisfies CodeList;

export const SUB_SEGMENTS = {
  name: 'sub_segment',
  codes: {
    gov: { zh: '党政军', en: 'Government' },
    finance: { zh: '金融', en: 'Finance' },
    large: { zh: '大企业', en: 'Large enterprise' },
    sme: { zh: '中小企业', en: 'SME' },
    transport_energy: { zh: '交通能源', en: 'Transport & energy' },
    cluster_high: { zh: '高端聚类', en: 'High-end cluster' },
    cluster_general: { zh: '普通聚类', en: 'General cluster' },
  },
} as const satisfies CodeList;

export const CHANNELS = {
  name: 'channel',
  codes: {
    direct: { zh: '直销', en: 'Direct sales', aliases: ['客户经理', '直销/客户经理'] },
    own_hall: { zh: '自有营业厅', en: 'Own hall' },
    partner_hall: { zh: '合作营业厅', en: 'Partner hall' },
    agent: { zh: '社会渠道', en: 'Agent', aliases: ['代理商', '社会渠道/代理商'] },
    online: { zh: '网上营业厅', en: 'Online' },
    hotline: { zh: '10000号', en: 'Hotline', aliases: ['呼叫中心', '10000号/呼叫中心'] },
    app: { zh: '掌上营业厅', en: 'App' },
  },
} as const satisfies CodeList;

export const PRODUCTS = {
  name: 'product',
  codes: {
    mobile: { zh: '移动', en: 'Mobile' },
    broadband: { zh: '宽带', en: 'Broadband' },
    fixed: { zh: '固话', en: 'Fixed line' },
    bundle: { zh: '融合套餐', en: 'Bundle', aliases: ['融合'] },
    ict: { zh: '行业应用', en: 'ICT' },
  },
} as const satisfies CodeList;

export const EVENT_TYPES = {
  name: 'event_type',
  codes: {
    new: { zh: '新装', en: 'New', aliases: ['入网', '新装/入网'] },
    upgrade: { zh: '升档', en: 'Upgrade' },
    downgrade: { zh: '降档', en: 'Downgrade' },
    renewal: { zh: '续约', en: 'Renewal' },
    churn: { zh: '离网', en: 'Churn', aliases: ['拆机', '离网/拆机'] },
  },
} as const satisfies CodeList;

export const TICKET_CATEGORIES = {
  name: 'category',
  codes: {
    complaint: { zh: '投诉', en: 'Complaint' },
    fault: { zh: '故障', en: 'Fault' },
    inquiry: { zh: '咨询', en: 'Inquiry' },
    visit: { zh: '客户经理拜访', en: 'Manager visit', aliases: ['拜访'] },
  },
} as const satisfies CodeList;

export const ROLES = {
  name: 'role',
  codes: {
    account_manager: { zh: '客户经理', en: 'Account manager' },
    vip_manager: { zh: 'VIP客户经理', en: 'VIP manager' },
    community_manager: { zh: '社区经理', en: 'Community manager' },
  },
} as const satisfies CodeList;

/** `segment` of a target: a segment code, or `ALL` for the province as a whole. */
export const TARGET_SEGMENTS = {
  name: 'segment or ALL',
  codes: {
    ALL: { zh: '全部', en: 'All segments', aliases: ['合计', '全省', '全部客户群'] },
    ...SEGMENTS.codes,
  },
} as const satisfies CodeList;

/** The KPIs a province sets monthly targets for (SPEC §10). */
export const TARGET_KPIS = {
  name: 'kpi',
  codes: {
    revenue: { zh: '收入', en: 'Revenue' },
    grossAdds: { zh: '新增用户', en: 'Gross adds', aliases: ['新增', '新增用户数'] },
    netAdds: { zh: '净增用户', en: 'Net adds', aliases: ['净增', '净增用户数'] },
    arpu: { zh: 'ARPU', en: 'ARPU', aliases: ['户均收入'] },
    csat: { zh: '满意度', en: 'CSAT', aliases: ['客户满意度', 'CSAT'] },
  },
} as const satisfies CodeList;

export type TargetKpi = keyof typeof TARGET_KPIS.codes;
export const TARGET_KPI_CODES = Object.keys(TARGET_KPIS.codes) as TargetKpi[];

export type Segment = keyof typeof SEGMENTS.codes;
export type SubSegment = keyof typeof SUB_SEGMENTS.codes;
export type Channel = keyof typeof CHANNELS.codes;
export type Product = keyof typeof PRODUCTS.codes;
export type EventType = keyof typeof EVENT_TYPES.codes;

/** Builds the lookup from code, Chinese label or alias (case-insensitive for codes) to the code. */
export function codeLookup(list: CodeList): Map<string, string> {
  const lookup = new Map<string, string>();
  for (const [code, label] of Object.entries(list.codes)) {
    lookup.set(code, code);
    lookup.set(code.toLowerCase(), code);
    lookup.set(label.zh, code);
    for (const alias of label.aliases ?? []) lookup.set(alias, code);
  }
  return lookup;
}

/** The label of a code in the report language; the code itself when unknown. */
export function label(list: CodeList, code: string | null | undefined, lang: 'zh-CN' | 'en'): string {
  if (code == null) return '';
  const entry = list.codes[code];
  if (!entry) return code;
  return lang === 'en' ? entry.en : entry.zh;
}
