/**
 * The renderer's only font: Noto Sans JP from @fontsource (OFL), bundled with
 * the dependencies, so rendering needs no system fonts (the runtime image is
 * distroless) and no network. The package splits the font into unicode-range
 * subsets; registering every subset under one family lets Skia pick, per
 * glyph, the file that has it. Characters no subset has (emoji, for one) draw
 * as the empty box: documented in docs/api.md.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';

export const FONT_FAMILY = 'ShareImageSans';
const WEIGHTS = ['400', '700'];

let registered = false;

/** Registers the font once per process; returns how many files it loaded. */
export function registerFonts(): number {
  if (registered) return 0;
  const dir = path.join(path.dirname(require.resolve('@fontsource/noto-sans-jp/package.json')), 'files');
  const pattern = new RegExp(`-(${WEIGHTS.join('|')})-normal\\.woff2$`);
  const files = readdirSync(dir).filter((file) => pattern.test(file));
  if (files.length === 0) throw new Error(`no Noto Sans JP woff2 files found in ${dir}`);
  for (const file of files) GlobalFonts.registerFromPath(path.join(dir, file), FONT_FAMILY);
  registered = true;
  return files.length;
}
