import { describe, expect, it } from 'vitest';
import { type BarPayload, fitMiddle, renderBar } from '../src/bar-line.js';

const mebibyte = 1024 * 1024;
const longName = 'debian-12.7.0-amd64-netinst-with-firmware.iso';
const payload: BarPayload = {
  label: longName,
  bytesOnDisk: Math.round(23.9 * mebibyte),
  total: Math.round(46.1 * mebibyte),
  bytesPerSecond: 3.1 * mebibyte,
  etaSeconds: 7,
};
const figures = ['51%', '23.9 MiB/46.1 MiB', '3.10 MiB/s', 'ETA 7s'];

/** Characters as a terminal counts them (the ellipsis is one). */
function widthOf(line: string): number {
  return Array.from(line).length;
}

describe('renderBar fits the terminal (invariant 5 stays visible)', () => {
  it('at 120 columns: the whole name, a full bar, percent, bytes/total, speed and ETA', () => {
    const line = renderBar({ ...payload, label: 'big.iso' }, 120);
    expect(widthOf(line)).toBeLessThan(120);
    expect(line).toMatch(/^big\.iso +\[=+-+\]/);
    for (const figure of figures) expect(line).toContain(figure);
  });

  it('at 80 columns: every figure is kept; the name shrinks with an ellipsis in the middle, then the bar', () => {
    const line = renderBar(payload, 80);
    expect(widthOf(line)).toBeLessThan(80);
    for (const figure of figures) expect(line).toContain(figure);
    expect(line).toMatch(/\[[=-]{10,}\]/);
    // Both ends of the name stay readable.
    expect(line.startsWith('debian-')).toBe(true);
    expect(line).toMatch(/…\S*\.iso /);
    expect(line).not.toContain(longName);
  });

  it('at 60 columns: the figures still all fit', () => {
    const line = renderBar(payload, 60);
    expect(widthOf(line)).toBeLessThan(60);
    for (const figure of figures) expect(line).toContain(figure);
  });

  it('at 50 columns: no bar; the name keeps both ends, with percent and bytes/total', () => {
    const line = renderBar(payload, 50);
    expect(widthOf(line)).toBeLessThan(50);
    expect(line).not.toContain('[');
    expect(line).toMatch(/^debian-\S*…\S*\.iso /);
    expect(line).toContain('51%');
    expect(line).toContain('23.9 MiB/46.1 MiB');
  });

  it('an unknown total shows no percent, no ETA and no filled bar, at any width', () => {
    for (const columns of [50, 80, 120]) {
      const line = renderBar(
        { ...payload, label: 'big.iso', total: undefined, etaSeconds: undefined },
        columns,
      );
      expect(widthOf(line)).toBeLessThan(columns);
      expect(line).toContain('23.9 MiB of unknown');
      expect(line).not.toMatch(/%|ETA|=/);
    }
  });

  it('fitMiddle pads short names and cuts long ones in the middle', () => {
    expect(fitMiddle('abc', 5)).toBe('abc  ');
    expect(fitMiddle('abcdefghij', 5)).toBe('ab…ij');
    expect(widthOf(fitMiddle(longName, 16))).toBe(16);
  });
});
