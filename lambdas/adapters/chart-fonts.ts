/** The font files the report charts are drawn with, checked once when a runtime is built. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';

/** The CJK font shipped in assets/fonts/ (copied to `fonts/` in the Lambda bundle). */
export const CHART_FONT_FILE = 'wqy-microhei.ttc';

/**
 * `[<dir>/wqy-microhei.ttc]`, or a ConfigError naming the missing file: without it every Chinese
 * label of a chart would render as nothing, so a runtime refuses to start rather than mail that.
 */
export function chartFontFiles(dir: string, source: string): string[] {
  const file = join(dir, CHART_FONT_FILE);
  if (!existsSync(file)) {
    throw new ConfigError(`chart font ${file} (${source}) does not exist: the report charts need the CJK font shipped in assets/fonts/${CHART_FONT_FILE}`);
  }
  return [file];
}
