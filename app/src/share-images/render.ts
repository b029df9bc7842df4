/**
 * Renders a walk's share image: the route projected (Web Mercator, fitted
 * into the template's map box) and drawn with start and end markers, then the
 * stats — title, date, distance, duration, steps — as a JPEG within the
 * template's size target. No network: no map tiles, the font is bundled.
 */
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { FONT_FAMILY, registerFonts } from './fonts';
import type { ShareImageTemplate } from './templates';

export interface RenderPoint {
  readonly latitude: number;
  readonly longitude: number;
}

export interface RenderInput {
  readonly title: string;
  /** Metres. */
  readonly distanceMeters: number;
  /** Walking time in seconds (pauses excluded). */
  readonly durationSeconds: number;
  readonly steps: number;
  /** When the walk started (or was created); shown as a date in the template's zone. */
  readonly date: Date;
  /** In walking order. */
  readonly points: readonly RenderPoint[];
}

export interface RenderedImage {
  readonly jpeg: Buffer;
  readonly width: number;
  readonly height: number;
  readonly quality: number;
}

/** Web Mercator, in units of the world's width (only ratios matter here). */
export function mercator(point: RenderPoint): { x: number; y: number } {
  const phi = (Math.max(-85.05112878, Math.min(85.05112878, point.latitude)) * Math.PI) / 180;
  return {
    x: (point.longitude + 180) / 360,
    y: 0.5 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / (2 * Math.PI),
  };
}

/** A span smaller than this (~100 m at the equator) is drawn at this scale, so one point is not a blow-up. */
const MIN_SPAN = 100 / 40_075_016;

/** Pixel positions of the points inside a box, aspect kept, centred. */
export function fitToBox(
  points: readonly RenderPoint[],
  box: { x: number; y: number; width: number; height: number; padding: number },
): { x: number; y: number }[] {
  if (points.length === 0) return [];
  const projected = points.map(mercator);
  const xs = projected.map((p) => p.x);
  const ys = projected.map((p) => p.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const innerW = box.width - 2 * box.padding;
  const innerH = box.height - 2 * box.padding;
  const scale = Math.min(innerW / Math.max(maxX - minX, MIN_SPAN), innerH / Math.max(maxY - minY, MIN_SPAN));
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  return projected.map((p) => ({
    x: box.x + box.width / 2 + (p.x - cx) * scale,
    y: box.y + box.height / 2 + (p.y - cy) * scale,
  }));
}

export function formatDistance(meters: number): string {
  return meters >= 1000 ? `${(meters / 1000).toFixed(2)} km` : `${Math.round(meters)} m`;
}

export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0
    ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`
    : `${m}:${String(s).padStart(2, '0')}`;
}

export function formatDate(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('ja-JP', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(date);
}

/** The text, cut with an ellipsis so it fits `maxWidth` at the context's current font. */
function fitText(ctx: SKRSContext2D, text: string, maxWidth: number): string {
  if (ctx.measureText(text).width <= maxWidth) return text;
  const chars = Array.from(text); // code points: never split a surrogate pair
  let low = 0;
  let high = chars.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (ctx.measureText(`${chars.slice(0, mid).join('')}…`).width <= maxWidth) low = mid;
    else high = mid - 1;
  }
  return `${chars.slice(0, low).join('')}…`;
}

function drawMap(ctx: SKRSContext2D, t: ShareImageTemplate, points: readonly RenderPoint[]): void {
  const { map } = t;
  ctx.save();
  ctx.beginPath();
  ctx.roundRect(map.x, map.y, map.width, map.height, 32);
  ctx.fillStyle = map.fill;
  ctx.fill();
  ctx.clip();
  ctx.strokeStyle = map.grid;
  ctx.lineWidth = 2;
  for (let gx = map.x + 60; gx < map.x + map.width; gx += 120) {
    ctx.beginPath();
    ctx.moveTo(gx, map.y);
    ctx.lineTo(gx, map.y + map.height);
    ctx.stroke();
  }
  for (let gy = map.y + 60; gy < map.y + map.height; gy += 120) {
    ctx.beginPath();
    ctx.moveTo(map.x, gy);
    ctx.lineTo(map.x + map.width, gy);
    ctx.stroke();
  }
  const pixels = fitToBox(points, map);
  if (pixels.length > 1) {
    ctx.beginPath();
    ctx.moveTo(pixels[0]!.x, pixels[0]!.y);
    for (const p of pixels.slice(1)) ctx.lineTo(p.x, p.y);
    ctx.strokeStyle = t.route.colour;
    ctx.lineWidth = t.route.width;
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    ctx.stroke();
  }
  const marker = (p: { x: number; y: number } | undefined, colour: string) => {
    if (!p) return;
    ctx.beginPath();
    ctx.arc(p.x, p.y, t.route.width * 1.6, 0, Math.PI * 2);
    ctx.fillStyle = colour;
    ctx.fill();
    ctx.lineWidth = 6;
    ctx.strokeStyle = '#ffffff';
    ctx.stroke();
  };
  marker(pixels[0], t.startColour);
  if (pixels.length > 1) marker(pixels[pixels.length - 1], t.endColour);
  ctx.restore();
}

function drawStats(ctx: SKRSContext2D, t: ShareImageTemplate, input: RenderInput): void {
  const left = t.map.x;
  const width = t.width - 2 * left;
  const top = t.map.y + t.map.height;
  // Sizes scale with what is left under the map, so both templates keep the same proportions.
  const room = t.height - top;
  const unit = Math.min(room / 11, t.width / 16);
  ctx.textBaseline = 'alphabetic';
  ctx.fillStyle = t.text.primary;
  ctx.font = `700 ${Math.round(unit * 1.3)}px ${FONT_FAMILY}`;
  ctx.fillText(fitText(ctx, input.title, width), left, top + unit * 2);
  ctx.fillStyle = t.text.secondary;
  ctx.font = `400 ${Math.round(unit * 0.75)}px ${FONT_FAMILY}`;
  ctx.fillText(formatDate(input.date, t.timeZone), left, top + unit * 3.2);

  const stats: [string, string][] = [
    ['距離 Distance', formatDistance(input.distanceMeters)],
    ['時間 Time', formatDuration(input.durationSeconds)],
    ['歩数 Steps', Math.round(input.steps).toLocaleString('en-US')],
  ];
  const column = width / stats.length;
  stats.forEach(([label, value], index) => {
    const x = left + column * index;
    ctx.fillStyle = t.text.secondary;
    ctx.font = `400 ${Math.round(unit * 0.6)}px ${FONT_FAMILY}`;
    ctx.fillText(fitText(ctx, label, column - 16), x, top + unit * 5);
    ctx.fillStyle = t.text.primary;
    ctx.font = `700 ${Math.round(unit * 1.1)}px ${FONT_FAMILY}`;
    ctx.fillText(fitText(ctx, value, column - 16), x, top + unit * 6.4);
  });
  ctx.fillStyle = t.text.secondary;
  ctx.font = `700 ${Math.round(unit * 0.6)}px ${FONT_FAMILY}`;
  ctx.textAlign = 'right';
  ctx.fillText('TekuToko', t.width - left, t.height - unit * 0.8);
  ctx.textAlign = 'left';
}

/** Highest JPEG quality first; each step down until the image fits the template's size target. */
const QUALITIES = [90, 80, 70, 60, 50];

export async function renderShareImage(t: ShareImageTemplate, input: RenderInput): Promise<RenderedImage> {
  registerFonts();
  const canvas = createCanvas(t.width, t.height);
  const ctx = canvas.getContext('2d');
  const gradient = ctx.createLinearGradient(0, 0, 0, t.height);
  gradient.addColorStop(0, t.background[0]);
  gradient.addColorStop(1, t.background[1]);
  ctx.fillStyle = gradient;
  ctx.fillRect(0, 0, t.width, t.height);
  drawMap(ctx, t, input.points);
  drawStats(ctx, t, input);
  let jpeg: Buffer | undefined;
  for (const quality of QUALITIES) {
    jpeg = await canvas.encode('jpeg', quality); // encodes off the event loop
    if (jpeg.length <= t.maxBytes) return { jpeg, width: t.width, height: t.height, quality };
  }
  throw new Error(`share image is ${jpeg?.length} bytes at quality ${QUALITIES.at(-1)}, over ${t.maxBytes}`);
}
