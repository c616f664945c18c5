import { describe, expect, it } from 'vitest';
import { DEFAULT_WINDOW_SIZE, restoreWindow } from '../../main/window-state';

const laptop = { x: 0, y: 0, width: 1440, height: 875 };
const monitorRight = { x: 1440, y: 0, width: 2560, height: 1400 };

describe('restoreWindow', () => {
  it.each([
    ['nothing saved', undefined],
    ['a string', 'left'],
    ['missing fields', { bounds: { x: 1, y: 2 } }],
    ['NaN size', { bounds: { x: 0, y: 0, width: Number.NaN, height: 500 }, maximized: false }],
    ['extra keys', { bounds: { x: 0, y: 0, width: 900, height: 700 }, maximized: false, evil: true }],
  ])('falls back to the default size for %s', (_name, saved) => {
    expect(restoreWindow(saved, [laptop])).toEqual({ bounds: { ...DEFAULT_WINDOW_SIZE }, maximized: false });
  });

  it('restores a window that is on a display', () => {
    const saved = { bounds: { x: 1600, y: 100, width: 1000, height: 800 }, maximized: true };
    expect(restoreWindow(saved, [laptop, monitorRight])).toEqual({ bounds: saved.bounds, maximized: true });
  });

  it('drops the position of a window left on a display that is gone, keeping its size', () => {
    const saved = { bounds: { x: 1600, y: 100, width: 1000, height: 800 }, maximized: false };
    expect(restoreWindow(saved, [laptop])).toEqual({ bounds: { width: 1000, height: 800 }, maximized: false });
  });

  it('drops the position when only a sliver of the title strip would show', () => {
    const saved = { bounds: { x: 1400, y: 10, width: 900, height: 700 }, maximized: false };
    expect(restoreWindow(saved, [laptop]).bounds).toEqual({ width: 900, height: 700 });
  });

  it('clamps the size between the minimum and the largest display', () => {
    expect(restoreWindow({ bounds: { x: 0, y: 0, width: 100, height: 50 }, maximized: false }, [laptop]).bounds).toEqual({ x: 0, y: 0, width: 640, height: 480 });
    expect(restoreWindow({ bounds: { x: 0, y: 0, width: 9000, height: 9000 }, maximized: false }, [laptop]).bounds).toEqual({ x: 0, y: 0, width: 1440, height: 875 });
  });
});
