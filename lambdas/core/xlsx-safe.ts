/**
 * The one way workbook writers put text that came from outside (uploaded file names, cities,
 * operator names, problem messages) into a cell: always a plain string, never a formula.
 */
import type { Cell } from 'exceljs';

/** Excel refuses cells longer than this many characters. */
export const MAX_CELL_TEXT = 32_767;

// Characters XML 1.0 cannot carry; exceljs would drop them silently, we drop them on purpose.
// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/**
 * The text to store for any value: a string with XML-invalid characters removed and cut to
 * Excel's cell limit. Text starting with = + - @ is kept as it is: stored as a string cell,
 * a spreadsheet shows it literally and never evaluates it.
 */
export function textCell(value: unknown): string {
  if (value == null) return '';
  const text = typeof value === 'string' ? value : String(value);
  const clean = text.replace(XML_INVALID, '');
  return clean.length > MAX_CELL_TEXT ? clean.slice(0, MAX_CELL_TEXT) : clean;
}

/** Puts outside text into a cell as a string value (never `{ formula }`, never rich text). */
export function setText(cell: Cell, value: unknown): void {
  cell.value = textCell(value);
}

/** True when a spreadsheet would run the text as a formula if it were typed into a cell. */
export function looksLikeFormula(text: string): boolean {
  return /^[=+\-@\t\r]/.test(text);
}
