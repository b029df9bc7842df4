/**
 * Share-image templates: named layouts the API accepts. Each is data,
 * validated once when this module loads, so a bad edit fails every test and
 * the build rather than a job at 3 a.m.
 */
import { z } from 'zod';

const colour = z.string().regex(/^#[0-9a-f]{6}$/i, 'must be #rrggbb');

const TemplateSchema = z
  .object({
    width: z.number().int().min(320).max(2160),
    height: z.number().int().min(320).max(3840),
    /** The JPEG the app shares is at most this big; quality steps down until it fits. */
    maxBytes: z.number().int().min(50_000).max(5_000_000),
    /** Dates on the image are shown in this zone (the app's users are in Japan). */
    timeZone: z.string().refine((zone) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone'),
    background: z.tuple([colour, colour]),
    map: z.object({
      /** The route's box on the image, in pixels. */
      x: z.number().int().min(0),
      y: z.number().int().min(0),
      width: z.number().int().min(100),
      height: z.number().int().min(100),
      padding: z.number().int().min(0),
      fill: colour,
      grid: colour,
    }),
    route: z.object({ colour, width: z.number().min(1).max(40) }),
    startColour: colour,
    endColour: colour,
    text: z.object({ primary: colour, secondary: colour }),
  })
  .refine((t) => t.map.x + t.map.width <= t.width && t.map.y + t.map.height <= t.height, {
    message: 'the map box must lie inside the image',
  })
  .refine((t) => t.map.padding * 2 < Math.min(t.map.width, t.map.height), {
    message: 'the map padding must leave room for the route',
  });

export type ShareImageTemplate = z.infer<typeof TemplateSchema>;

/** Names the API accepts; the first is the default. */
export const TEMPLATE_NAMES = ['story', 'square'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];
export const DEFAULT_TEMPLATE: TemplateName = 'story';

const common = {
  maxBytes: 500_000,
  timeZone: 'Asia/Tokyo',
  background: ['#0f3d3e', '#1b5e5a'] as [string, string],
  route: { colour: '#ff8a3d', width: 14 },
  startColour: '#4caf50',
  endColour: '#e53935',
  text: { primary: '#ffffff', secondary: '#cfe3df' },
};

const RAW_TEMPLATES: Record<TemplateName, unknown> = {
  // The app's story size (Instagram/LINE stories): 1080×1920.
  story: {
    ...common,
    width: 1080,
    height: 1920,
    map: { x: 60, y: 140, width: 960, height: 1080, padding: 80, fill: '#e8f0ec', grid: '#d3e0da' },
  },
  square: {
    ...common,
    width: 1080,
    height: 1080,
    map: { x: 40, y: 40, width: 1000, height: 620, padding: 60, fill: '#e8f0ec', grid: '#d3e0da' },
  },
};

/** Validates every template; throws naming the template and the field. */
export function parseTemplates(raw: Record<string, unknown>): Record<string, ShareImageTemplate> {
  return Object.fromEntries(
    Object.entries(raw).map(([name, value]) => {
      const parsed = TemplateSchema.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(
          `share-image template "${name}": ${issue?.path.join('.') || '(root)'} ${issue?.message}`,
        );
      }
      return [name, parsed.data];
    }),
  );
}

export const TEMPLATES = parseTemplates(RAW_TEMPLATES) as Record<TemplateName, ShareImageTemplate>;

export function isTemplateName(name: string): name is TemplateName {
  return (TEMPLATE_NAMES as readonly string[]).includes(name);
}
