/**
 * A direct SpreadsheetML (.xlsx) writer for the large HR workbook: each sheet's XML is written
 * as text and deflated as it goes (node:zlib, on libuv's thread pool while the next rows are
 * built), so neither the rows nor the uncompressed sheet is ever held whole. It knows only what
 * the HR workbook uses: a fixed set of cell styles, text and number cells, column widths, a
 * frozen header, an autofilter, A4 landscape print setup one page wide with title rows.
 *
 * Text is a shared string (`t="s"`) or an inline string (`t="inlineStr"`), never a formula,
 * whatever it starts with. The shared-string table keeps one index per distinct text.
 */
import { once } from 'node:events';
import type { TransformOptions } from 'node:stream';
import { crc32, createDeflateRaw, type DeflateRaw, type ZlibOptions } from 'node:zlib';
import { MAX_CELL_TEXT, textCell } from '../xlsx-safe.js';
import { Utf8Chunks } from './utf8-chunks.js';

/** The cell styles the writer knows (one `cellXfs` entry each, in this order). */
export const CELL_STYLES = [
  'text', 'title', 'header', 'points', 'percent', 'factor', 'money', 'bold', 'boldPoints', 'boldMoney', 'red', 'redPoints', 'count', 'wrapTop',
] as const;
export type CellStyle = (typeof CELL_STYLES)[number];

/** Number formats of the styles, as Excel shows them. */
export const FORMATS = { points: '#,##0.00##', money: '#,##0.00', percent: '0.0%', factor: '0.00##', count: '0' } as const;

/**
 * A cell: text (a shared string: for texts that repeat), `{ inline }` text (an inline string:
 * for texts that are unique, an event id, which a shared-string table would only grow with),
 * a number with its style, or nothing (null).
 */
export type Cellish = string | null | { inline: string } | { n: number | null; style: CellStyle };

export interface SheetOptions {
  name: string;
  /** Column widths, from column A. */
  widths: readonly number[];
  /** Rows frozen at the top (the header stays visible). */
  frozenRows?: number;
  /** Rows repeated at the top of every printed page, `1:3`. */
  printTitles: string;
  /** The autofilter's range, `A3:M100`. */
  autoFilter?: string;
}

/** Somewhere rows go: the direct writer, or an exceljs worksheet for the small workbook. */
export interface RowSink {
  /** Writes one row; `textStyle` applies to its text cells and its empty cells. */
  row(rowNumber: number, values: readonly Cellish[], textStyle?: CellStyle): unknown;
}

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
/** Bytes of XML handed to the deflater at a time. */
const CHUNK_BYTES = 1 << 19;
/** zlib's output buffer, and the text queued on the deflater before the writer waits for it. */
const DEFLATE_OUT_BYTES = 1 << 20;
const DEFLATE_QUEUE_BYTES = 4 * CHUNK_BYTES;

const NUM_FMT_IDS: Record<string, number> = { [FORMATS.points]: 164, [FORMATS.percent]: 165, [FORMATS.factor]: 166, [FORMATS.money]: 4, [FORMATS.count]: 1 };
const FONT_IDS = { normal: 0, title: 1, bold: 2, red: 3 } as const;
const STYLE_XF: Record<CellStyle, { font: number; fill?: number; format?: string; wrapTop?: boolean }> = {
  text: { font: FONT_IDS.normal },
  title: { font: FONT_IDS.title },
  header: { font: FONT_IDS.bold, fill: 2 },
  points: { font: FONT_IDS.normal, format: FORMATS.points },
  percent: { font: FONT_IDS.normal, format: FORMATS.percent },
  factor: { font: FONT_IDS.normal, format: FORMATS.factor },
  money: { font: FONT_IDS.normal, format: FORMATS.money },
  bold: { font: FONT_IDS.bold },
  boldPoints: { font: FONT_IDS.bold, format: FORMATS.points },
  boldMoney: { font: FONT_IDS.bold, format: FORMATS.money },
  red: { font: FONT_IDS.red },
  redPoints: { font: FONT_IDS.red, format: FORMATS.points },
  count: { font: FONT_IDS.normal, format: FORMATS.count },
  wrapTop: { font: FONT_IDS.normal, wrapTop: true },
};
const STYLE_INDEX = new Map<CellStyle, number>(CELL_STYLES.map((s, i) => [s, i]));

const XML_SPECIAL = /[&<>"]/;
function escapeXml(text: string): string {
  if (!XML_SPECIAL.test(text)) return text;
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// eslint-disable-next-line no-control-regex
const NEEDS_WORK = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF&<>"]/;

/** Cleaned (textCell) and escaped text in one scan for the common text that needs neither. */
function cellText(text: string): string {
  return text.length <= MAX_CELL_TEXT && !NEEDS_WORK.test(text) ? text : escapeXml(textCell(text));
}

/** `<t>` keeps leading and trailing spaces only when told to. */
function t(text: string): string {
  return text.length > 0 && (text.charCodeAt(0) <= 32 || text.charCodeAt(text.length - 1) <= 32) ? `<t xml:space="preserve">${text}</t>` : `<t>${text}</t>`;
}

/** Column letters of a 0-based index (0 → A, 26 → AA). */
export function columnName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}
const COLUMNS = Array.from({ length: 64 }, (_, i) => columnName(i));

interface Part { name: string; crc: number; size: number; data: Buffer[]; compressedSize: number }

/** One zip entry deflated as it is written; `crc` and sizes kept as the text goes by. */
class DeflatedPart {
  private readonly deflate: DeflateRaw;
  private readonly out: Buffer[] = [];
  private readonly text: Utf8Chunks;
  private crc = 0;
  private size = 0;
  private compressedSize = 0;
  private behind = false;
  private readonly ended: Promise<unknown>;

  constructor(readonly name: string, level: number) {
    // zlib streams take the stream options too (Node passes them to Transform); its typings only list zlib's own.
    const options: ZlibOptions & TransformOptions = { level, memLevel: 9, chunkSize: DEFLATE_OUT_BYTES, highWaterMark: DEFLATE_QUEUE_BYTES };
    this.deflate = createDeflateRaw(options);
    this.deflate.on('data', (chunk: Buffer) => {
      this.out.push(chunk);
      this.compressedSize += chunk.length;
    });
    this.ended = once(this.deflate, 'end');
    this.text = new Utf8Chunks(CHUNK_BYTES, (bytes) => {
      this.crc = crc32(bytes, this.crc);
      this.size += bytes.length;
      if (!this.deflate.write(bytes)) this.behind = true;
    });
  }

  /** Queues text; true when enough is queued that the caller should `await flush()`. */
  write(text: string): boolean {
    this.text.write(text);
    return this.text.pending >= CHUNK_BYTES / 2;
  }

  /**
   * Hands the queued text to the deflater, waiting when it is behind. Otherwise it still yields a
   * turn of the event loop: zlib starts its next piece of work on the thread pool only from a
   * callback on this thread, so a writer that never yields leaves it idle, and deflating and
   * building the rows took turns instead of overlapping (the national month's workbook 5.9–6.8 →
   * 4.8–5.3 s, the same bytes; with zlib's default 16 KB output buffer and queue of one chunk, each
   * chunk was a dozen round trips and the writer waited for the whole queue to drain).
   */
  async flush(): Promise<void> {
    this.text.flush();
    if (this.behind) {
      this.behind = false;
      await once(this.deflate, 'drain');
    } else await new Promise(setImmediate);
  }

  async close(): Promise<Part> {
    await this.flush();
    this.deflate.end();
    await this.ended;
    if (this.size > 0xffff_fffe || this.compressedSize > 0xffff_fffe) throw new Error(`${this.name} is larger than 4 GB, more than a zip without zip64 holds`);
    return { name: this.name, crc: this.crc >>> 0, size: this.size, data: this.out, compressedSize: this.compressedSize };
  }
}

/** The shared-string table: one index per distinct text, in first-use order. */
class SharedStrings {
  private readonly index = new Map<string, number>();
  private readonly texts: string[] = [];
  count = 0;

  /** The index of a text as it comes (cleaned and escaped once, when first seen). */
  id(text: string): number {
    this.count++;
    let id = this.index.get(text);
    if (id === undefined) {
      id = this.texts.length;
      this.index.set(text, id);
      this.texts.push(cellText(text));
    }
    return id;
  }

  async write(part: DeflatedPart): Promise<void> {
    part.write(`${XML_HEAD}<sst xmlns="${MAIN_NS}" count="${this.count}" uniqueCount="${this.texts.length}">`);
    for (const text of this.texts) {
      if (part.write(`<si>${t(text)}</si>`)) await part.flush();
    }
    part.write('</sst>');
  }
}

/** Rows of one sheet being written: `row()` queues and says when to `await flush()`, which keeps memory flat. */
export class SheetWriter implements RowSink {
  private lastRow = 0;

  constructor(private readonly part: DeflatedPart, private readonly strings: SharedStrings) {}

  /** Queues one row; true when enough is queued that the caller should `await flush()`. */
  row(rowNumber: number, values: readonly Cellish[], textStyle: CellStyle = 'text'): boolean {
    if (rowNumber <= this.lastRow) throw new Error(`row ${rowNumber} written after row ${this.lastRow}`);
    this.lastRow = rowNumber;
    const textS = textStyle === 'text' ? '' : ` s="${STYLE_INDEX.get(textStyle)}"`;
    let xml = `<row r="${rowNumber}">`;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] ?? null;
      const ref = `${COLUMNS[i] ?? columnName(i)}${rowNumber}`;
      if (v !== null && typeof v === 'object') {
        if ('inline' in v) {
          const text = cellText(v.inline);
          xml += text === '' ? (textS ? `<c r="${ref}"${textS}/>` : '') : `<c r="${ref}"${textS} t="inlineStr"><is>${t(text)}</is></c>`;
          continue;
        }
        const s = v.style === 'text' ? '' : ` s="${STYLE_INDEX.get(v.style)}"`;
        xml += v.n === null || !Number.isFinite(v.n) ? (s ? `<c r="${ref}"${s}/>` : '') : `<c r="${ref}"${s}><v>${v.n}</v></c>`;
        continue;
      }
      if (v === null || v === '') {
        if (textS) xml += `<c r="${ref}"${textS}/>`;
        continue;
      }
      xml += `<c r="${ref}"${textS} t="s"><v>${this.strings.id(v)}</v></c>`;
    }
    return this.part.write(`${xml}</row>`);
  }

  /** Hands the queued rows to the deflater, waiting while it catches up. */
  flush(): Promise<void> {
    return this.part.flush();
  }
}

/** A workbook written sheet after sheet; `finish()` gives the .xlsx bytes. */
export class XlsxWriter {
  private readonly parts: Part[] = [];
  private readonly sheets: SheetOptions[] = [];
  private readonly strings = new SharedStrings();

  /** `level`: zlib's deflate level (1 is several times faster than 6 and a little larger). */
  constructor(private readonly now: Date, private readonly level = 1) {}

  /** Writes one sheet: `fill` writes its rows in order through the SheetWriter it is given. */
  async sheet(options: SheetOptions, fill: (rows: SheetWriter) => Promise<void> | void): Promise<void> {
    const index = this.sheets.length + 1;
    const part = new DeflatedPart(`xl/worksheets/sheet${index}.xml`, this.level);
    const cols = options.widths.map((w, i) => `<col min="${i + 1}" max="${i + 1}" width="${w}" customWidth="1"/>`).join('');
    const frozen = options.frozenRows
      ? `<sheetViews><sheetView workbookViewId="0"${index === 1 ? ' tabSelected="1"' : ''}><pane ySplit="${options.frozenRows}" topLeftCell="A${options.frozenRows + 1}" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A${options.frozenRows + 1}" sqref="A${options.frozenRows + 1}"/></sheetView></sheetViews>`
      : `<sheetViews><sheetView workbookViewId="0"${index === 1 ? ' tabSelected="1"' : ''}/></sheetViews>`;
    part.write(`${XML_HEAD}<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>${frozen}`
      + `<sheetFormatPr defaultRowHeight="15"/><cols>${cols}</cols><sheetData>`);
    const rows = new SheetWriter(part, this.strings);
    await fill(rows);
    await part.flush();
    part.write('</sheetData>');
    if (options.autoFilter) part.write(`<autoFilter ref="${options.autoFilter}"/>`);
    part.write('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
      + '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/></worksheet>');
    this.parts.push(await part.close());
    this.sheets.push(options);
  }

  async finish(): Promise<Uint8Array> {
    const strings = new DeflatedPart('xl/sharedStrings.xml', this.level);
    await this.strings.write(strings);
    this.parts.push(await strings.close());
    for (const [name, text] of this.packageParts()) {
      const part = new DeflatedPart(name, 6);
      part.write(text);
      this.parts.push(await part.close());
    }
    return zip(this.parts, this.now);
  }

  private packageParts(): Array<[string, string]> {
    const sheets = this.sheets;
    const rel = (id: string, type: string, target: string) => `<Relationship Id="${id}" Type="${type}" Target="${target}"/>`;
    const quoted = (name: string) => `'${name.replace(/'/g, "''")}'`;
    const titles = sheets.map((s, i) => {
      const [from, to] = s.printTitles.split(':');
      return `<definedName name="_xlnm.Print_Titles" localSheetId="${i}">${escapeXml(quoted(s.name))}!$${from}:$${to}</definedName>`;
    }).join('');
    const filters = sheets.map((s, i) => (s.autoFilter
      ? `<definedName name="_xlnm._FilterDatabase" localSheetId="${i}" hidden="1">${escapeXml(quoted(s.name))}!${absolute(s.autoFilter)}</definedName>`
      : '')).join('');
    const fonts = [
      '<font><sz val="11"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>',
      '<font><b/><sz val="14"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>',
      '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>',
      '<font><sz val="11"/><color rgb="FFC00000"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>',
    ];
    const customFormats = Object.entries(NUM_FMT_IDS).filter(([, id]) => id >= 164);
    const xfs = CELL_STYLES.map((s) => {
      const x = STYLE_XF[s];
      const numFmt = x.format ? NUM_FMT_IDS[x.format]! : 0;
      const applies = `${numFmt ? ' applyNumberFormat="1"' : ''}${x.font ? ' applyFont="1"' : ''}${x.fill ? ' applyFill="1"' : ''}${x.wrapTop ? ' applyAlignment="1"' : ''}`;
      const alignment = x.wrapTop ? '<alignment vertical="top" wrapText="1"/>' : '';
      return `<xf numFmtId="${numFmt}" fontId="${x.font}" fillId="${x.fill ?? 0}" borderId="0" xfId="0"${applies}${alignment ? `>${alignment}</xf>` : '/>'}`;
    });
    const styles = `${XML_HEAD}<styleSheet xmlns="${MAIN_NS}">`
      + `<numFmts count="${customFormats.length}">${customFormats.map(([code, id]) => `<numFmt numFmtId="${id}" formatCode="${escapeXml(code)}"/>`).join('')}</numFmts>`
      + `<fonts count="${fonts.length}">${fonts.join('')}</fonts>`
      + '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
      + '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill></fills>'
      + '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
      + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
      + `<cellXfs count="${xfs.length}">${xfs.join('')}</cellXfs>`
      + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles><dxfs count="0"/></styleSheet>';
    const stamp = this.now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return [
      ['[Content_Types].xml', `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`
        + '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        + '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        + sheets.map((_, i) => `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`).join('')
        + '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        + '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        + '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        + '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>'],
      ['_rels/.rels', `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}">`
        + rel('rId1', `${REL_NS}/officeDocument`, 'xl/workbook.xml')
        + rel('rId2', 'http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties', 'docProps/core.xml')
        + rel('rId3', `${REL_NS}/extended-properties`, 'docProps/app.xml') + '</Relationships>'],
      ['docProps/core.xml', `${XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`
        + `<dc:creator>telco-kpi</dc:creator><cp:lastModifiedBy>telco-kpi</cp:lastModifiedBy><dcterms:created xsi:type="dcterms:W3CDTF">${stamp}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">${stamp}</dcterms:modified></cp:coreProperties>`],
      ['docProps/app.xml', `${XML_HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">`
        + `<Application>telco-kpi</Application><HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant><vt:variant><vt:i4>${sheets.length}</vt:i4></vt:variant></vt:vector></HeadingPairs>`
        + `<TitlesOfParts><vt:vector size="${sheets.length}" baseType="lpstr">${sheets.map((s) => `<vt:lpstr>${escapeXml(s.name)}</vt:lpstr>`).join('')}</vt:vector></TitlesOfParts></Properties>`],
      ['xl/workbook.xml', `${XML_HEAD}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><bookViews><workbookView activeTab="0"/></bookViews><sheets>`
        + sheets.map((s, i) => `<sheet name="${escapeXml(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('')
        + `</sheets><definedNames>${filters}${titles}</definedNames></workbook>`],
      ['xl/_rels/workbook.xml.rels', `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}">`
        + sheets.map((_, i) => rel(`rId${i + 1}`, `${REL_NS}/worksheet`, `worksheets/sheet${i + 1}.xml`)).join('')
        + rel(`rId${sheets.length + 1}`, `${REL_NS}/styles`, 'styles.xml')
        + rel(`rId${sheets.length + 2}`, `${REL_NS}/sharedStrings`, 'sharedStrings.xml') + '</Relationships>'],
      ['xl/styles.xml', styles],
    ];
  }
}

/** `A3:M100` → `$A$3:$M$100`. */
function absolute(range: string): string {
  return range.replace(/([A-Z]+)(\d+)/g, '$$$1$$$2');
}

/** DOS date and time of an instant (UTC), as zip headers hold them. */
function dosDateTime(at: Date): { date: number; time: number } {
  const year = Math.max(1980, at.getUTCFullYear());
  return {
    date: ((year - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate(),
    time: (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | (at.getUTCSeconds() >> 1),
  };
}

/**
 * The run of fields a local header and its central directory entry share, from `at`: version
 * needed (2.0), flags (UTF-8 names), method (deflate), time, date, CRC-32, sizes, name length.
 */
function writeEntryFields(header: Buffer, at: number, part: Part, time: number, date: number, nameLength: number): void {
  header.writeUInt16LE(20, at);
  header.writeUInt16LE(0x0800, at + 2);
  header.writeUInt16LE(8, at + 4);
  header.writeUInt16LE(time, at + 6);
  header.writeUInt16LE(date, at + 8);
  header.writeUInt32LE(part.crc, at + 10);
  header.writeUInt32LE(part.compressedSize, at + 14);
  header.writeUInt32LE(part.size, at + 18);
  header.writeUInt16LE(nameLength, at + 22);
}

/** A zip of deflated parts (method 8, UTF-8 names, no zip64: the writer refuses parts over 4 GB). */
function zip(parts: readonly Part[], now: Date): Uint8Array {
  const { date, time } = dosDateTime(now);
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const part of parts) {
    const name = Buffer.from(part.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    writeEntryFields(local, 4, part, time, date, name.length);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4); // version made by
    writeEntryFields(entry, 6, part, time, date, name.length);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, name);
    chunks.push(local, name, ...part.data);
    offset += local.length + name.length + part.compressedSize;
    if (offset > 0xffff_fffe) throw new Error('the workbook is larger than 4 GB, more than a zip without zip64 holds');
  }
  const centralSize = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  const bytes = Buffer.concat([...chunks, ...central, end]);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}
