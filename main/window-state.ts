/**
 * Where the window was: restored on the next launch so the writer's layout
 * survives a restart. Kept in electron-store (a small JSON file of its own in
 * the user data folder), apart from settings.json: losing it costs a window
 * position, never a setting, so a damaged file is simply cleared.
 *
 * The saved bounds are used only while enough of the window's top strip lies
 * on a display that exists now; a monitor unplugged since the last run must
 * not leave the window somewhere the writer cannot reach.
 */
import { z } from 'zod';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const DEFAULT_WINDOW_SIZE = { width: 1200, height: 820 } as const;
export const MIN_WINDOW_SIZE = { width: 640, height: 480 } as const;
/** How much of the title strip must be on screen to grab and move the window. */
const VISIBLE_STRIP = { width: 120, height: 40 } as const;

const Int = z.number().int().min(-100_000).max(100_000);
export const WindowStateSchema = z
  .object({
    bounds: z.object({ x: Int, y: Int, width: Int.min(1), height: Int.min(1) }).strict(),
    maximized: z.boolean(),
  })
  .strict();
export type WindowState = z.infer<typeof WindowStateSchema>;

export interface RestoredWindow {
  /** Position only when the saved one is reachable; otherwise the OS centres the window. */
  bounds: Partial<Pick<Rect, 'x' | 'y'>> & Pick<Rect, 'width' | 'height'>;
  maximized: boolean;
}

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)),
    height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)),
  };
}

/** The window to open from whatever the store held (anything at all) and today's displays' work areas. */
export function restoreWindow(saved: unknown, workAreas: readonly Rect[]): RestoredWindow {
  const parsed = WindowStateSchema.safeParse(saved);
  if (!parsed.success) return { bounds: { ...DEFAULT_WINDOW_SIZE }, maximized: false };
  const { bounds, maximized } = parsed.data;
  const largest = workAreas.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a), workAreas[0] ?? { x: 0, y: 0, ...DEFAULT_WINDOW_SIZE });
  const width = Math.min(Math.max(bounds.width, MIN_WINDOW_SIZE.width), Math.max(largest.width, MIN_WINDOW_SIZE.width));
  const height = Math.min(Math.max(bounds.height, MIN_WINDOW_SIZE.height), Math.max(largest.height, MIN_WINDOW_SIZE.height));
  const strip: Rect = { x: bounds.x, y: bounds.y, width, height: VISIBLE_STRIP.height };
  const reachable = workAreas.some((area) => {
    const o = overlap(strip, area);
    return o.width >= VISIBLE_STRIP.width && o.height >= VISIBLE_STRIP.height;
  });
  return { bounds: reachable ? { x: bounds.x, y: bounds.y, width, height } : { width, height }, maximized };
}
