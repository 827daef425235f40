/**
 * Every sentence a receipt says, in Chinese and English, keyed by a stable problem code, and the
 * one renderer of a receipt as text (the CLI, the stored `.txt`, the landing bucket and the upload
 * portal all call formatReceipt). The receipt JSON keeps codes and parameters; the English
 * `message` stored beside them is this catalogue's English sentence with the declared column names.
 */
import {
  CHANNELS, EVENT_TYPES, PRODUCTS, PROVINCES, ROLES, SEGMENTS, SUB_SEGMENTS, TARGET_KPIS, TARGET_SEGMENTS, TICKET_CATEGORIES, type CodeList, type TargetKpi,
} from './codes.js';
import { shanghaiDateTime } from '../period.js';
import { TABLES, type ExtractType } from './schema.js';

export type ReceiptLang = 'zh-CN' | 'en';
export const RECEIPT_LANGS: readonly ReceiptLang[] = ['zh-CN', 'en'];

export type Params = Readonly<Record<string, string | number>>;

/** Names a declared column as the reader should see it (the file's own header when it had one). */
export type ColumnName = (column: string) => string;

type Sentence = (p: Params, name: ColumnName) => string;

const LISTS: Record<string, CodeList> = Object.fromEntries(
  [PROVINCES, SEGMENTS, SUB_SEGMENTS, CHANNELS, PRODUCTS, EVENT_TYPES, TICKET_CATEGORIES, ROLES, TARGET_SEGMENTS, TARGET_KPIS].map((l) => [l.name, l]),
);

const LIST_ZH: Record<string, string> = {
  province: '省份', segment: '客户群', sub_segment: '行业', channel: '渠道', product: '产品',
  event_type: '业务类型', category: '类别', role: '岗位', 'segment or ALL': '客户群', kpi: '指标',
};

function expectedCodes(listName: string, lang: ReceiptLang): string {
  const list = LISTS[listName];
  if (!list) return '';
  const codes = Object.keys(list.codes);
  if (codes.length > 10) {
    return lang === 'en'
      ? `expected a ${list.name} code such as ${codes.slice(0, 3).join(', ')}`
      : `应填${LIST_ZH[listName] ?? listName}代码或中文名，如 ${codes.slice(0, 3).map((c) => `${c}（${list.codes[c]!.zh}）`).join('、')}`;
  }
  return lang === 'en'
    ? `expected one of ${codes.join(', ')} (or ${codes.map((c) => list.codes[c]!.zh).join(', ')})`
    : `应填以下之一：${codes.map((c) => list.codes[c]!.zh).join('、')}（或代码 ${codes.join(', ')}）`;
}

function range(p: Params, lang: ReceiptLang): string {
  const { min, max } = p;
  if (lang === 'en') {
    return max !== undefined ? `a whole number from ${min ?? 0} to ${max}` : min !== undefined ? `a whole number ≥ ${min}` : 'a whole number';
  }
  return max !== undefined ? `${min ?? 0} 到 ${max} 的整数` : min !== undefined ? `不小于 ${min} 的整数` : '整数';
}

const kpiZh = (kpi: string | number | undefined): string => TARGET_KPIS.codes[kpi as TargetKpi]?.zh ?? String(kpi);
const typeZh = (type: string | number | undefined): string => TABLES[type as ExtractType]?.titleZh ?? String(type);
const join = (p: string | number | undefined, sep: string): string => String(p ?? '').split('\u0001').join(sep);
const names = (p: string | number | undefined, name: ColumnName, sep: string): string => String(p ?? '').split('\u0001').map(name).join(sep);

/** The catalogue: one entry per problem or notice code, each sentence in both languages. */
export const SENTENCES = {
  // ---- the whole file ----
  extension: {
    en: (p) => `the file has the extension '.${p.ext}'; expected .csv (CSV UTF-8 or GB18030) or .xlsx (Excel workbook)`,
    'zh-CN': (p) => `文件扩展名是 .${p.ext}；请上传 .csv（CSV UTF-8 或 GB18030）或 .xlsx（Excel 工作簿）`,
  },
  empty: {
    en: () => 'the file is empty; expected a header row and one row per record',
    'zh-CN': () => '文件是空的；第 1 行应为表头，其下每行一条记录',
  },
  bomNotUtf8: {
    en: () => 'the file starts with a UTF-8 byte order mark but is not valid UTF-8; save it again as "CSV UTF-8"',
    'zh-CN': () => '文件以 UTF-8 标记开头，但内容不是有效的 UTF-8；请在 Excel 中另存为“CSV UTF-8（逗号分隔）”',
  },
  utf16: {
    en: () => 'the file is UTF-16 text ("Unicode text"); save it as "CSV UTF-8" or as an Excel workbook (.xlsx)',
    'zh-CN': () => '文件是 UTF-16 文本（“Unicode 文本”）；请另存为“CSV UTF-8（逗号分隔）”或 Excel 工作簿（.xlsx）',
  },
  zipAsCsv: {
    en: () => 'the file is an Excel workbook (zip) named .csv; rename it to .xlsx or save it as CSV',
    'zh-CN': () => '文件实际是 Excel 工作簿，却以 .csv 命名；请把扩展名改为 .xlsx，或另存为 CSV',
  },
  binary: {
    en: () => 'the file holds binary data, not text; expected CSV text in UTF-8 or GB18030, or an .xlsx workbook',
    'zh-CN': () => '文件含二进制数据，不是文本；请上传 UTF-8 或 GB18030 的 CSV，或 .xlsx 工作簿',
  },
  notUtf8NorGb: {
    en: () => 'the file is neither UTF-8 nor GB18030/GBK text; save it as "CSV UTF-8" or as an Excel workbook (.xlsx)',
    'zh-CN': () => '文件既不是 UTF-8 也不是 GB18030/GBK 编码；请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 Excel 工作簿（.xlsx）',
  },
  rareChinese: {
    en: (p) => `the file is not UTF-8, and read as GB18030/GBK ${p.share}% of its ${p.total} Chinese characters are rare ones `
      + `(such as '${p.rare}'), which Chinese text seldom has: it was probably saved in another encoding (Big5, Shift-JIS, Latin-1…); save it as "CSV UTF-8"`,
    'zh-CN': (p) => `文件编码无法识别：按 GB18030/GBK 读取，${p.total} 个汉字中有 ${p.share}% 是生僻字（如“${p.rare}”），`
      + '多半是用繁体 Big5、日文 Shift-JIS 等其他编码保存的；请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后重新上传',
  },
  garbledHeader: {
    en: (p) => `the header cannot be read (${p.cells}): the file was probably saved in another encoding (Big5, Shift-JIS…) or converted twice; `
      + 'open it in Excel and save it as "CSV UTF-8", or upload the .xlsx',
    'zh-CN': (p) => `表头是乱码（${p.cells}）：文件多半是用其他编码（繁体 Big5、日文 Shift-JIS 等）保存或被转换过两次；`
      + '请在 Excel 中另存为“CSV UTF-8（逗号分隔）”，或直接上传 .xlsx',
  },
  unclosedQuote: {
    en: (p) => `a quoted cell is not closed (it starts in data row ${p.row}); check the quotes in that row`,
    'zh-CN': (p) => `有一个引号没有闭合（从第 ${Number(p.row) + 1} 行开始）；请检查该行的引号`,
  },
  textAfterQuote: {
    en: (p) => `data row ${p.row} has text after a closing quote; a quote inside a quoted cell must be doubled ("")`,
    'zh-CN': (p) => `第 ${Number(p.row) + 1} 行的引号后还有文字；单元格里的引号要写成两个（""）`,
  },
  xlsxInflated: {
    en: (p) => `the workbook inflates to ${p.size}; an .xlsx extract may inflate to at most ${p.limit}: save it as CSV UTF-8, which has no such limit`,
    'zh-CN': (p) => `工作簿解压后有 ${p.size}，.xlsx 最多 ${p.limit}；请另存为“CSV UTF-8（逗号分隔）”，CSV 没有这个限制`,
  },
  xlsxRows: {
    en: (p) => `the workbook has ${p.rows} data rows; an .xlsx extract may have at most ${p.limit} rows: save it as CSV UTF-8, which has no such limit`,
    'zh-CN': (p) => `工作簿有 ${p.rows} 行数据，.xlsx 最多 ${p.limit} 行；请另存为“CSV UTF-8（逗号分隔）”，CSV 没有这个限制`,
  },
  xlsxUnreadable: {
    en: () => 'the file is not a readable Excel workbook (.xlsx); open it in Excel and save it again, or save it as CSV',
    'zh-CN': () => '文件不是可读取的 Excel 工作簿（.xlsx）；请用 Excel 打开后重新保存，或另存为 CSV',
  },
  xlsxNoSheets: {
    en: () => 'the workbook has no sheets; expected the extract on the first sheet',
    'zh-CN': () => '工作簿里没有工作表；数据应在第一个工作表上',
  },
  dateCellTooLarge: {
    en: () => 'the cell is formatted as a date but holds a number too large to be one; type the date as text, YYYY-MM-DD',
    'zh-CN': () => '单元格设为日期格式，但数值太大不是日期；请以文本输入日期，格式 YYYY-MM-DD',
  },
  beyondColumn: {
    en: (p) => `the cell ${p.cell} is beyond column ${p.last}; an extract may have at most ${p.limit} columns: `
      + 'delete the cells right of the extract\'s columns, or save it as CSV UTF-8',
    'zh-CN': (p) => `单元格 ${p.cell} 超出了 ${p.last} 列（最多 ${p.limit} 列）；请删除数据右侧多余的单元格，或另存为 CSV UTF-8`,
  },
  headerBelowRow1: {
    en: (p) => `the header is in row ${p.line}, not row 1 (above it: '${p.above}'); move the header to row 1: delete the title rows above it and upload again`,
    'zh-CN': (p) => `表头在第 ${p.line} 行，不在第 1 行（上面是“${p.above}”）；请删除表头上方的标题行，把表头移到第 1 行后重新上传`,
  },
  dataOnOtherSheet: {
    en: (p) => `the first sheet '${p.first}' holds no ${p.type} header, but sheet '${p.sheet}' does; put the data on the first sheet (move sheet '${p.sheet}' to the front, or delete '${p.first}') and upload again`,
    'zh-CN': (p) => `第一个工作表“${p.first}”上没有${typeZh(p.type)}的表头，工作表“${p.sheet}”上才有；请把数据放在第一个工作表（把“${p.sheet}”拖到最前，或删除“${p.first}”）后重新上传`,
  },
  headerNotFound: {
    en: (p) => `row 1 is not a ${p.type} header: none of its cells (${p.cells}) is a column of this extract; expected columns such as ${p.expected} (English or Chinese names) in row 1`,
    'zh-CN': (p) => `第 1 行不是${typeZh(p.type)}的表头：其中（${p.cells}）没有一个是本报表的列；第 1 行应为列名，如 ${p.expectedZh}`,
  },
  missingColumns: {
    en: (p, n) => `the required column${String(p.columns).includes('\u0001') ? 's' : ''} ${names(p.columns, n, ', ')} ${String(p.columns).includes('\u0001') ? 'are' : 'is'} missing from the header (Chinese names: ${join(p.aliases, ', ')})`,
    'zh-CN': (p) => `表头缺少必填列：${join(p.aliases, '、')}`,
  },
  duplicateColumn: {
    en: (p) => `column ${p.column} appears twice in the header (as '${p.first}' in cell ${p.firstCell} and as '${p.second}' in cell ${p.secondCell}); keep one`,
    'zh-CN': (p) => `表头中同一列出现两次（第 ${p.firstCell} 格“${p.first}”和第 ${p.secondCell} 格“${p.second}”）；请只保留一列`,
  },
  unitMismatch: {
    en: (p) => `the header '${p.header}' says the values are in ${p.unit}; ${p.column} must be in yuan (元): convert the column and name it '${p.base}'`,
    'zh-CN': (p) => `表头“${p.header}”表示单位是${p.unit}；该列必须以元为单位：请换算后把列名改为“${p.base}”`,
  },
  noDataRows: {
    en: (p) => `the file has a header but no data rows; a ${p.type} extract cannot be empty — upload the file with its rows`,
    'zh-CN': (p) => `文件只有表头，没有数据行；${typeZh(p.type)}不能为空，请上传带数据的文件`,
  },
  allRowsProvince: {
    en: (p, n) => `every row (${p.rows}) has ${n('province')} '${p.v}', but the file is for ${p.province}: this is ${p.v}'s file — rename it ${p.suggested}, or upload ${p.province}'s extract`,
    'zh-CN': (p, n) => `全部 ${p.rows} 行的${n('province')}都是 ${p.v}，而文件名是 ${p.province} 的：这是 ${p.v} 的文件，请改名为 ${p.suggested}，或上传 ${p.province} 的报表`,
  },
  allRowsDay: {
    en: (p, n) => `every row (${p.rows}) has ${n(String(p.column))} '${p.v}', but the file name says ${p.expected}: rename the file ${p.suggested}, or upload the extract of ${p.expected}`,
    'zh-CN': (p, n) => `全部 ${p.rows} 行的${n(String(p.column))}都是 ${p.v}，而文件名是 ${p.expected}：请把文件改名为 ${p.suggested}，或上传 ${p.expected} 的报表`,
  },
  provinceInName: {
    en: (p) => `the file name says province ${p.named} but it was uploaded under ${p.province}/, the ${p.province} branch's folder; `
      + `upload ${p.named}'s extracts to ${p.named}/ with the ${p.named} upload role, or correct the name to ${p.type}_${p.province}_…`,
    'zh-CN': (p) => `文件名是 ${p.named} 省的，却上传到了 ${p.province}/（${p.province} 分公司的目录）；请用 ${p.named} 的上传账号传到 ${p.named}/，或把文件名改为 ${p.type}_${p.province}_…`,
  },
  fileName: {
    en: (p) => String(p.message),
    'zh-CN': (p) => String(p.zh ?? p.message),
  },

  // ---- one row or one cell ----
  cellCount: {
    en: (p) => `the row has ${p.cells} cells but the header has ${p.width}; check for a missing or extra separator, or an unquoted line break`,
    'zh-CN': (p) => `这一行有 ${p.cells} 格，表头有 ${p.width} 格；请检查是否多了或少了分隔符，或单元格里有换行`,
  },
  requiredEmpty: {
    en: (p, n) => `the cell is empty; a ${n(String(p.column))} is required`,
    'zh-CN': (p, n) => `单元格为空；${n(String(p.column))}必填`,
  },
  duplicateKey: {
    en: (p, n) => `'${p.v}' appears again (first in row ${p.firstLine}); ${names(p.columns, n, ' + ')} must be unique within the file`,
    'zh-CN': (p, n) => `“${p.v}”重复（第一次在第 ${p.firstLine} 行）；同一文件中${names(p.columns, n, ' + ')}不能重复`,
  },
  noSelf: {
    en: (p) => `no row has operator 'self' for product ${p.v}; each product needs exactly one row for this operator`,
    'zh-CN': (p, n) => `产品 ${p.v} 没有${n('operator')}为 self（本公司）的行；每个产品须有且只有一行本公司数据`,
  },
  notFileProvince: {
    en: (p) => `'${p.v}' is not the file's province; this file is for ${p.province}`,
    'zh-CN': (p) => `“${p.v}”不是本文件的省份；本文件是 ${p.province} 的`,
  },
  notFileDay: {
    en: (p) => `'${p.v}' is not the file's ${p.grain}; every row of this file must be ${p.expected}`,
    'zh-CN': (p) => `“${p.v}”不是本文件的${p.grain === 'month' ? '月份' : '日期'}；本文件每一行都应是 ${p.expected}`,
  },
  subSegmentNotEnterprise: {
    en: (p) => `'${p.v}' is given for segment ${p.segment}; sub_segment is only for enterprise rows, leave it empty`,
    'zh-CN': (p, n) => `客户群是 ${SEGMENTS.codes[p.segment as keyof typeof SEGMENTS.codes]?.zh ?? p.segment}，却填了${n('sub_segment')}“${p.v}”；${n('sub_segment')}只用于政企，其他请留空`,
  },
  managerRequired: {
    en: (_p, n) => `the cell is empty; ${n('account_manager_id')} is required when ${n('channel')} is direct`,
    'zh-CN': (_p, n) => `单元格为空；${n('channel')}为直销时${n('account_manager_id')}必填`,
  },
  agentRequired: {
    en: (_p, n) => `the cell is empty; ${n('agent_id')} is required when ${n('channel')} is agent`,
    'zh-CN': (_p, n) => `单元格为空；${n('channel')}为代理商时${n('agent_id')}必填`,
  },
  prevFeeRequired: {
    en: (p, n) => `the cell is empty; ${n('prev_monthly_fee')} is required for an ${p.eventType} event`,
    'zh-CN': (p, n) => `单元格为空；${p.eventType === 'upgrade' ? '升档' : '降档'}时${n('prev_monthly_fee')}必填`,
  },
  looksMobile: {
    en: (p, n) => `'${p.v}' looks like a mobile phone number; ${n('customer_id')} must be the pseudonymous customer id, never a phone number`,
    'zh-CN': (p, n) => `“${p.v}”像是手机号码；${n('customer_id')}应填脱敏后的客户编号，不能填手机号`,
  },
  looksIdCard: {
    en: (p, n) => `'${p.v}' looks like an ID-card number; ${n('customer_id')} must be the pseudonymous customer id, never an ID-card number`,
    'zh-CN': (p, n) => `“${p.v}”像是身份证号码；${n('customer_id')}应填脱敏后的客户编号，不能填身份证号`,
  },
  openedFar: {
    en: (p, n) => `'${p.v}' (UTC) is ${p.local} in Asia/Shanghai, more than a day from the file's day ${p.day}; `
      + `${n('opened_at')} must be from ${p.first} to ${p.last}: put a ticket of another day in that day's file, or check the year and month`,
    'zh-CN': (p, n) => `${n('opened_at')}是北京时间 ${p.local}，与文件日期 ${p.day} 相差超过一天；应在 ${p.first} 到 ${p.last} 之间：其他日期的工单请放进那一天的文件，或检查年份和月份`,
  },
  beforeOpened: {
    en: (p, n) => `'${p.v}' (UTC) is before ${n('opened_at')} ${p.opened} (UTC); ${n(String(p.column))} cannot be earlier than ${n('opened_at')}`,
    'zh-CN': (p, n) => `${n(String(p.column))}早于${n('opened_at')}（UTC ${p.opened}）；不能早于受理时间`,
  },
  laterFar: {
    en: (p, n) => `'${p.v}' (UTC) is ${p.local} in Asia/Shanghai, more than ${p.days} days after the file's day ${p.day}; ${n(String(p.column))} must be by ${p.last}: check the year and month`,
    'zh-CN': (p, n) => `${n(String(p.column))}是北京时间 ${p.local}，比文件日期 ${p.day} 晚了 ${p.days} 天以上；应不晚于 ${p.last}，请检查年份和月份`,
  },
  endBeforeStart: {
    en: (p, n) => `'${p.v}' is before ${n('start_date')} ${p.start}; ${n('end_date')} cannot be earlier than ${n('start_date')}`,
    'zh-CN': (p, n) => `“${p.v}”早于${n('start_date')} ${p.start}；${n('end_date')}不能早于${n('start_date')}`,
  },
  hidden: {
    en: (p) => `'${p.v}' holds ${p.damaged ? '' : 'an invisible control character '}${p.codePoint}${p.charName ? ` (${p.charName})` : ''} at position ${p.at}; `
      + (p.damaged ? 'the text was damaged when it was converted from another encoding: export it again and save it as CSV UTF-8'
        : 'delete it (retype the cell, or use Excel\'s CLEAN function on the column)'),
    'zh-CN': (p) => (p.damaged
      ? `“${p.v}”第 ${p.at} 个字符是乱码（${p.codePoint}），文本在编码转换时已损坏；请重新导出，另存为“CSV UTF-8（逗号分隔）”`
      : `“${p.v}”第 ${p.at} 个字符是看不见的控制字符 ${p.codePoint}${p.charName ? `（${p.charName}）` : ''}；请删除它（重新输入该单元格，或对该列用 Excel 的 CLEAN 函数）`),
  },
  tooLong: {
    en: (p) => `'${p.v}…' is ${p.length} characters long; at most ${p.max} are allowed`,
    'zh-CN': (p) => `“${p.v}…”长 ${p.length} 个字符；最多 ${p.max} 个`,
  },
  notCode: {
    en: (p) => `'${p.v}' is not a ${p.list} code; ${expectedCodes(String(p.list), 'en')}`,
    'zh-CN': (p) => `“${p.v}”不是有效的${LIST_ZH[String(p.list)] ?? p.list}；${expectedCodes(String(p.list), 'zh-CN')}`,
  },
  badYear: {
    en: (p) => `'${p.v}' has the year ${p.year}; expected a year from ${p.min} to ${p.max}`,
    'zh-CN': (p) => `“${p.v}”的年份是 ${p.year}；年份应在 ${p.min} 到 ${p.max} 之间`,
  },
  notDate: {
    en: (p) => `'${p.v}' is not a date; use YYYY-MM-DD, e.g. 2026-11-18`,
    'zh-CN': (p) => `“${p.v}”不是日期；请用 YYYY-MM-DD 格式，如 2026-11-18`,
  },
  notRealDay: {
    en: (p) => `'${p.v}' is not a real day; use YYYY-MM-DD, e.g. 2026-11-18`,
    'zh-CN': (p) => `“${p.v}”不是存在的日期；请用 YYYY-MM-DD 格式，如 2026-11-18`,
  },
  notMonth: {
    en: (p) => `'${p.v}' is not a month; use YYYY-MM, e.g. 2026-11`,
    'zh-CN': (p) => `“${p.v}”不是月份；请用 YYYY-MM 格式，如 2026-11`,
  },
  notRealMonth: {
    en: (p) => `'${p.v}' is not a real month; use YYYY-MM with a month 01–12`,
    'zh-CN': (p) => `“${p.v}”不是存在的月份；月份应为 01–12，格式 YYYY-MM`,
  },
  notTimestamp: {
    en: (p) => `'${p.v}' is not a timestamp; use ISO 8601 like 2026-11-18 09:30:00 (Asia/Shanghai) or 2026-11-18T01:30:00Z`,
    'zh-CN': (p) => `“${p.v}”不是时间；请用 2026-11-18 09:30:00 这样的格式（北京时间）`,
  },
  notRealTime: {
    en: (p) => `'${p.v}' is not a real time; use ISO 8601 like 2026-11-18 09:30:00`,
    'zh-CN': (p) => `“${p.v}”不是存在的时间；请用 2026-11-18 09:30:00 这样的格式`,
  },
  decimalComma: {
    en: (p) => `'${p.v}' is not a number; use a dot for decimals`,
    'zh-CN': (p) => `“${p.v}”不是数字；小数点请用“.”，不要用逗号`,
  },
  percentSign: {
    en: (p) => `'${p.v}' carries a percent sign; write a share as a fraction (${p.v} as ${p.fixed}), an amount without %`,
    'zh-CN': (p) => `“${p.v}”带百分号；比例请写成小数（${p.v} 写 ${p.fixed}），金额不带 %`,
  },
  thousands: {
    en: (p) => `'${p.v}' is not a number; write it without thousands separators, e.g. ${p.fixed}`,
    'zh-CN': (p) => `“${p.v}”不是数字；请去掉千位分隔符，写成 ${p.fixed}`,
  },
  notMoney: {
    en: (p) => `'${p.v}' is not a number; expected an amount in CNY like 129.00`,
    'zh-CN': (p) => `“${p.v}”不是数字；应填以元为单位的金额，如 129.00（用阿拉伯数字，不带“元”字）`,
  },
  tooManyDecimals: {
    en: (p) => `'${p.v}' has ${p.decimals} decimals; ${p.max === undefined ? 'amounts are CNY with at most 2 decimals' : `expected at most ${p.max} decimals`}`,
    'zh-CN': (p) => `“${p.v}”有 ${p.decimals} 位小数；${p.max === undefined ? '金额以元为单位，最多 2 位小数' : `最多 ${p.max} 位小数`}`,
  },
  moneyTooLarge: {
    en: (p) => `'${p.v}' is too large; at most ${p.digits} digits before the decimal point`,
    'zh-CN': (p) => `“${p.v}”太大；整数部分最多 ${p.digits} 位`,
  },
  negative: {
    en: (p) => `'${p.v}' is negative; expected an amount ≥ 0`,
    'zh-CN': (p) => `“${p.v}”是负数；金额应不小于 0`,
  },
  notWhole: {
    en: (p) => `'${p.v}' is not a whole number; expected ${range(p, 'en')}`,
    'zh-CN': (p) => `“${p.v}”不是整数；应填${range(p, 'zh-CN')}`,
  },
  notInteger: {
    en: (p) => `'${p.v}' is not a number; expected ${range(p, 'en')}`,
    'zh-CN': (p) => `“${p.v}”不是数字；应填${range(p, 'zh-CN')}`,
  },
  outOfRange: {
    en: (p) => `'${p.v}' is out of range; expected ${range(p, 'en')}`,
    'zh-CN': (p) => `“${p.v}”超出范围；应填${range(p, 'zh-CN')}`,
  },

  targetZero: {
    en: (p) => `'${p.v}' is 0; a target of 0 has no completion rate: leave the ${p.kpi} row out when the month has no target`,
    'zh-CN': (p) => `目标值为 0，无法计算完成率；本月没有${kpiZh(p.kpi)}指标时请删去这一行`,
  },
  targetNegative: {
    en: (p) => `'${p.v}' is negative; the ${p.kpi} target must be above 0 (only netAdds may be negative)`,
    'zh-CN': (p) => `“${p.v}”是负数；${kpiZh(p.kpi)}目标应大于 0（只有净增用户可以为负）`,
  },
  targetNotWhole: {
    en: (p) => `'${p.v}' is not a whole number; the ${p.kpi} target counts users`,
    'zh-CN': (p) => `“${p.v}”不是整数；${kpiZh(p.kpi)}目标是用户数`,
  },
  targetNotFraction: {
    en: (p) => `'${p.v}' is not a share; a csat target is a fraction above 0 and at most 1 (write 92 % as 0.92)`,
    'zh-CN': (p) => `“${p.v}”不是比例；满意度目标应大于 0、不超过 1（92% 请写 0.92）`,
  },

  // ---- notices (accepted files too) ----
  emptyRows: {
    en: (p) => `${p.n} empty row(s) were ignored`,
    'zh-CN': (p) => `忽略了 ${p.n} 个空行`,
  },
  storedEmpty: {
    en: (p) => `the file has no data rows: stored as a ${p.type === 'sales' ? 'day without sales events' : 'day without service contacts'}`,
    'zh-CN': (p) => `文件没有数据行：已记为当天${p.type === 'sales' ? '没有销售业务' : '没有服务工单'}`,
  },
  emptyHeaderCell: {
    en: (p) => `header cell ${p.cell} is empty; that column was ignored`,
    'zh-CN': (p) => `表头第 ${p.cell} 格是空的；该列已忽略`,
  },
  unknownColumns: {
    en: (p) => `unknown column${String(p.columns).includes('\u0001') ? 's' : ''} ${String(p.columns).split('\u0001').map((c) => `'${c}'`).join(', ')} ${String(p.columns).includes('\u0001') ? 'were' : 'was'} ignored`,
    'zh-CN': (p) => `以下列不是本报表的列，已忽略：${String(p.columns).split('\u0001').map((c) => `“${c}”`).join('、')}`,
  },
  superseded: {
    en: (p) => `not stored: ${p.file}, uploaded ${p.newer} (Asia/Shanghai), is a later upload of the same ${p.unit === 'month' ? 'month' : 'day'} and stays in the lake; `
      + `this file was uploaded ${p.mine}. To make this file the one used, upload it again.`,
    'zh-CN': (p) => `本文件未入库：同一${p.unit === 'month' ? '月份' : '日期'}已有更晚上传的文件 ${p.file}（${p.newer} 上传），湖中保留该文件；`
      + `本文件上传于 ${p.mine}。如要改用本文件，请重新上传一次。`,
  },
  unitAccepted: {
    en: (p) => `header '${p.header}' read as ${p.base}`,
    'zh-CN': (p) => `表头“${p.header}”按“${p.base}”读取`,
  },
} satisfies Record<string, Record<ReceiptLang, Sentence>>;

export type ProblemCode = keyof typeof SENTENCES;

/** The sentence of a code in a language; columns named by `name` (declared names when omitted). */
export function sentence(code: ProblemCode, params: Params, lang: ReceiptLang, name: ColumnName = (c) => c): string {
  return (SENTENCES[code][lang] as Sentence)(params, name);
}

/** A sentence with a code: what a receipt stores for a problem or a notice. */
export interface Coded {
  code: ProblemCode;
  params: Params;
}

export interface ProblemLike {
  /** 1 = first data row; 0 = the header or the whole file. */
  row: number;
  /** The row as Excel shows it (the header being row 1); absent for the header or the whole file, and in receipts written before it existed. */
  line?: number;
  /** The declared column (English name); '' for the row or the file. */
  column: string;
  /** The column as the file's header wrote it (`月费（元）`), when the file had it. */
  header?: string;
  value: string;
  /** A plain sentence in English: what is wrong and what is expected (formatProblem renders it in Chinese from code and params). */
  message: string;
  code?: ProblemCode;
  params?: Params;
}

export interface ReceiptLike {
  file: string;
  type?: ExtractType;
  province: string;
  day?: string;
  month?: string;
  status: 'accepted' | 'rejected' | 'unchanged' | 'superseded';
  rowsRead?: number;
  rowsAccepted?: number;
  problems: ProblemLike[];
  problemCount: number;
  warnings?: string[];
  notices?: Coded[];
  /** Declared column → the header the file used for it. */
  headers?: Readonly<Record<string, string>>;
  encoding?: string;
  receivedAt: string;
}

const LABELS = {
  en: {
    file: 'File', type: 'Type', province: 'Province', day: 'Day', month: 'Month', status: 'Status',
    rows: (read: number, accepted: number) => `Rows read: ${read}, accepted: ${accepted}`,
    statuses: { accepted: 'accepted', rejected: 'rejected', unchanged: 'unchanged (same file already stored)', superseded: 'not stored (a later upload of this day is stored)' },
    problems: (n: number) => `Problems (${n}; rows numbered as in Excel, the header being row 1):`, warnings: 'Notes:',
    row: (n: number) => `row ${n}`, column: (c: string) => `column ${c}`, header: 'header', whole: 'file',
    more: (n: number) => `…and ${n} more problem${n === 1 ? '' : 's'}`, encoding: 'Encoding', received: 'Received',
    next: { rejected: 'Nothing was stored. Correct the rows above and upload the whole file again.', accepted: '', unchanged: '', superseded: '' },
    typeName: (t: string) => `${t} (${typeZh(t)})`, provinceName: (p: string) => `${p} (${PROVINCES.codes[p as keyof typeof PROVINCES.codes]?.en ?? p})`,
    sep: ', ', colon: ': ',
  },
  'zh-CN': {
    file: '文件', type: '类型', province: '省份', day: '日期', month: '月份', status: '结果',
    rows: (read: number, accepted: number) => `读取 ${read} 行，接受 ${accepted} 行`,
    statuses: { accepted: '已接受', rejected: '未接受（整个文件退回）', unchanged: '未变化（同一文件已存储过）', superseded: '未存储（该日已有更晚的上传）' },
    problems: (n: number) => `问题（共 ${n} 个；行号与 Excel 一致，表头为第 1 行）：`, warnings: '提示：',
    row: (n: number) => `第 ${n} 行`, column: (c: string) => `“${c}”列`, header: '表头', whole: '文件',
    more: (n: number) => `……另有 ${n} 个问题未列出`, encoding: '编码', received: '接收时间',
    next: { rejected: '本文件未入库。请按上面的提示改正后，重新上传整个文件。', accepted: '', unchanged: '', superseded: '' },
    typeName: (t: string) => `${typeZh(t)}（${t}）`, provinceName: (p: string) => `${PROVINCES.codes[p as keyof typeof PROVINCES.codes]?.zh ?? p}（${p}）`,
    sep: '，', colon: '：',
  },
} as const;

/** How a receipt names a declared column: the file's header for it, else (Chinese) its first alias, else its name. */
export function columnNamer(receipt: Pick<ReceiptLike, 'type' | 'headers'>, lang: ReceiptLang): ColumnName {
  const table = receipt.type ? TABLES[receipt.type] : undefined;
  return (column) => {
    const written = receipt.headers?.[column];
    if (written) return written;
    if (lang === 'zh-CN') return table?.columns.find((c) => c.name === column)?.aliases[0] ?? column;
    return column;
  };
}

/** One problem as a line: `第 3 行，“月费”列：“一百二十九”不是数字；…` / `row 3, column 月费: …`. */
export function formatProblem(problem: ProblemLike, lang: ReceiptLang = 'zh-CN', receipt?: Pick<ReceiptLike, 'type' | 'headers'>): string {
  const l = LABELS[lang];
  const view = problemView(problem, lang, receipt);
  const where = view.line > 0 ? l.row(view.line) : problem.column ? l.header : l.whole;
  const column = problem.column && !problem.column.includes(' + ') ? `${l.sep}${l.column(view.column)}` : '';
  return `${where}${column}${l.colon}${view.text}`;
}

/** One problem's row as Excel numbers it, its column as the file's header names it, and its sentence in a language. */
function problemView(problem: ProblemLike, lang: ReceiptLang, receipt?: Pick<ReceiptLike, 'type' | 'headers'>): ReceiptDisplay['problems'][number] {
  const name = columnNamer({ type: receipt?.type, headers: { ...receipt?.headers, ...(problem.header ? { [problem.column]: problem.header } : {}) } }, lang);
  return {
    line: problem.line ?? (problem.row > 0 ? problem.row + 1 : 0),
    column: problem.column && !problem.column.includes(' + ') ? name(problem.column) : problem.column,
    value: problem.value,
    text: problem.code && SENTENCES[problem.code] ? sentence(problem.code, problem.params ?? {}, lang, name) : problem.message,
  };
}

/** A receipt's problems and notices as a page shows them in a language: the row as Excel numbers it, the column as the file's header names it. */
export interface ReceiptDisplay {
  problems: Array<{ line: number; column: string; value: string; text: string }>;
  notices: string[];
}

export function receiptDisplay(receipt: ReceiptLike, lang: ReceiptLang): ReceiptDisplay {
  return { problems: receipt.problems.map((problem) => problemView(problem, lang, receipt)), notices: noticeLines(receipt, lang) };
}

/** A notice (or, for receipts without codes, a stored warning) in a language. */
function noticeLines(receipt: ReceiptLike, lang: ReceiptLang): string[] {
  if (receipt.notices) return receipt.notices.map((n) => sentence(n.code, n.params, lang, columnNamer(receipt, lang)));
  return receipt.warnings ?? [];
}

/**
 * The receipt as readable text, Chinese by default: file, type, province, day, the outcome, one
 * problem per line (at most MAX_PROBLEMS, then a count) with rows as Excel numbers them, columns
 * as the file's header named them, and what to do next. The portal renders receipts with this.
 */
export function formatReceipt(receipt: ReceiptLike, lang: ReceiptLang = 'zh-CN'): string {
  const l = LABELS[lang];
  const lines = [`${l.file}${l.colon}${receipt.file}`];
  if (receipt.type) lines.push(`${l.type}${l.colon}${l.typeName(receipt.type)}`);
  lines.push(`${l.province}${l.colon}${l.provinceName(receipt.province)}`);
  if (receipt.day) lines.push(`${l.day}${l.colon}${receipt.day}`);
  if (receipt.month) lines.push(`${l.month}${l.colon}${receipt.month}`);
  lines.push(`${l.status}${l.colon}${l.statuses[receipt.status]}`);
  if (receipt.rowsRead !== undefined) lines.push(l.rows(receipt.rowsRead, receipt.rowsAccepted ?? 0));
  if (receipt.encoding) lines.push(`${l.encoding}${l.colon}${receipt.encoding}`);
  const received = new Date(receipt.receivedAt);
  lines.push(`${l.received}${l.colon}${Number.isNaN(received.getTime()) ? receipt.receivedAt : `${shanghaiDateTime(received)} (Asia/Shanghai)`}`);
  if (receipt.problemCount > 0) {
    lines.push(l.problems(receipt.problemCount));
    for (const problem of receipt.problems) lines.push(`  ${formatProblem(problem, lang, receipt)}`);
    if (receipt.problemCount > receipt.problems.length) lines.push(`  ${l.more(receipt.problemCount - receipt.problems.length)}`);
  }
  const notices = noticeLines(receipt, lang);
  if (notices.length > 0) {
    lines.push(l.warnings);
    for (const notice of notices) lines.push(`  ${notice}`);
  }
  const next = l.next[receipt.status];
  if (next) lines.push(next);
  return lines.join('\n') + '\n';
}

/** The one-line outcome of a file: `✓ 已接受 sales_JL_20261118.csv 1234 行` / `✓ accepted sales_JL_20261118.csv 1234 rows`. */
export function receiptLine(receipt: ReceiptLike, lang: ReceiptLang = 'zh-CN'): string {
  const n = receipt.rowsAccepted ?? 0;
  const first = receipt.problems[0];
  const count = receipt.problemCount;
  if (lang === 'en') {
    const rows = `${n} row${n === 1 ? '' : 's'}`;
    if (receipt.status === 'accepted') return `✓ accepted ${receipt.file} ${rows}`;
    if (receipt.status === 'unchanged') return `= unchanged ${receipt.file} ${rows}`;
    if (receipt.status === 'superseded') return `↷ superseded ${receipt.file} (${noticeLines(receipt, lang).at(-1) ?? 'a later upload of this day is stored'})`;
    return `✗ rejected ${receipt.file} (${count} problem${count === 1 ? '' : 's'}${first ? `: ${formatProblem(first, lang, receipt)}` : ''})`;
  }
  if (receipt.status === 'accepted') return `✓ 已接受 ${receipt.file} ${n} 行`;
  if (receipt.status === 'unchanged') return `= 未变化 ${receipt.file} ${n} 行`;
  if (receipt.status === 'superseded') return `↷ 未存储 ${receipt.file}（${noticeLines(receipt, lang).at(-1) ?? '该日已有更晚的上传'}）`;
  return `✗ 未接受 ${receipt.file}（${count} 个问题${first ? `：${formatProblem(first, lang, receipt)}` : ''}）`;
}

/** `…and 3 more problems` / `……另有 3 个问题未列出`. */
export function moreProblems(n: number, lang: ReceiptLang = 'zh-CN'): string {
  return LABELS[lang].more(n);
}
