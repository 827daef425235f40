/**
 * Text cells that never become formulas. Local to incentives until the shared
 * `core/xlsx-safe.ts` lands; then this module should re-export its helper.
 */
import type ExcelJS from 'exceljs';

/**
 * Writes `value` as a plain string cell with the text number format, so a name like
 * `=HYPERLINK(…)` or `+86…` is shown as typed and never evaluated.
 */
export function setText(cell: ExcelJS.Cell, value: string | null | undefined): void {
  cell.value = value ?? '';
  cell.numFmt = '@';
}
