/** The renderer and its templates, checked by decoding what it writes. */
import jpeg from 'jpeg-js';
import {
  fitToBox,
  formatDistance,
  formatDuration,
  mercator,
  renderShareImage,
  type RenderInput,
} from '../../src/share-images/render';
import { parseTemplates, TEMPLATE_NAMES, TEMPLATES } from '../../src/share-images/templates';

const route = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    latitude: 35.68 + Math.sin(i / 40) * 0.01,
    longitude: 139.76 + Math.cos(i / 55) * 0.012,
  }));

const input = (overrides: Partial<RenderInput> = {}): RenderInput => ({
  title: 'Morning walk',
  distanceMeters: 3120.5,
  durationSeconds: 2670,
  steps: 4100,
  date: new Date('2026-11-22T06:00:00Z'),
  points: route(500),
  ...overrides,
});

/** Decoded pixel at (x, y) as [r, g, b]. */
function pixel(image: { width: number; data: Uint8Array }, x: number, y: number): number[] {
  const at = (Math.round(y) * image.width + Math.round(x)) * 4;
  return [image.data[at]!, image.data[at + 1]!, image.data[at + 2]!];
}

describe.each(TEMPLATE_NAMES)('template %s', (name) => {
  const template = TEMPLATES[name];

  it('renders a JPEG of its size within its byte target', async () => {
    const image = await renderShareImage(template, input());
    expect(image.jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(image.jpeg.length).toBeLessThanOrEqual(template.maxBytes);
    const decoded = jpeg.decode(image.jpeg, { useTArray: true });
    expect([decoded.width, decoded.height]).toEqual([template.width, template.height]);
  });

  it('draws the route and its start and end markers where the projection puts them', async () => {
    const points = route(300);
    const decoded = jpeg.decode((await renderShareImage(template, input({ points }))).jpeg, {
      useTArray: true,
    });
    const pixels = fitToBox(points, template.map);
    const close = (actual: number[], hex: string) => {
      const expected = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      return actual.every((v, i) => Math.abs(v - expected[i]!) < 40);
    };
    expect(close(pixel(decoded, pixels[0]!.x, pixels[0]!.y), template.startColour)).toBe(true);
    expect(close(pixel(decoded, pixels.at(-1)!.x, pixels.at(-1)!.y), template.endColour)).toBe(true);
    expect(close(pixel(decoded, pixels[150]!.x, pixels[150]!.y), template.route.colour)).toBe(true);
  });
});

it('renders Japanese titles, long titles, no locations and a single location without failing', async () => {
  for (const variant of [
    { title: '朝の散歩 鬱蒼とした森を抜けて川沿いを歩く 🐕 とても長いタイトルがここに続きます' },
    { points: [] },
    { points: [{ latitude: 35.68, longitude: 139.76 }] },
    { durationSeconds: 0, distanceMeters: 0, steps: 0 },
  ]) {
    const image = await renderShareImage(TEMPLATES.story, input(variant));
    expect(jpeg.decode(image.jpeg, { useTArray: true }).height).toBe(1920);
  }
});

it('projects with Web Mercator and fits the route inside the padded box, aspect kept', () => {
  expect(mercator({ latitude: 0, longitude: 0 })).toEqual({ x: 0.5, y: 0.5 });
  expect(mercator({ latitude: 0, longitude: 180 }).x).toBe(1);
  expect(mercator({ latitude: 85.05112878, longitude: 0 }).y).toBeCloseTo(0, 6);
  const box = { x: 100, y: 200, width: 800, height: 400, padding: 50 };
  const pixels = fitToBox(route(400), box);
  for (const p of pixels) {
    expect(p.x).toBeGreaterThanOrEqual(box.x + box.padding - 1e-6);
    expect(p.x).toBeLessThanOrEqual(box.x + box.width - box.padding + 1e-6);
    expect(p.y).toBeGreaterThanOrEqual(box.y + box.padding - 1e-6);
    expect(p.y).toBeLessThanOrEqual(box.y + box.height - box.padding + 1e-6);
  }
  // a single point sits in the middle
  expect(fitToBox([{ latitude: 10, longitude: 10 }], box)).toEqual([{ x: 500, y: 400 }]);
});

it('formats the stats', () => {
  expect(formatDistance(3120.5)).toBe('3.12 km');
  expect(formatDistance(640.4)).toBe('640 m');
  expect(formatDuration(2670)).toBe('44:30');
  expect(formatDuration(3725)).toBe('1:02:05');
});

it('refuses a template that would not render, naming it and the field', () => {
  const good = { ...TEMPLATES.story };
  expect(() => parseTemplates({ wide: { ...good, map: { ...good.map, width: 2000 } } })).toThrow(
    /template "wide": \(root\) the map box must lie inside the image/,
  );
  expect(() => parseTemplates({ odd: { ...good, timeZone: 'Mars/Olympus' } })).toThrow(
    /template "odd": timeZone must be an IANA time zone/,
  );
  expect(() => parseTemplates({ dim: { ...good, route: { colour: 'orange', width: 10 } } })).toThrow(
    /template "dim": route.colour must be #rrggbb/,
  );
});
