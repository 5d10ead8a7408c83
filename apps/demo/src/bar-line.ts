import { formatBytes, formatDuration, formatRate } from './human-units.js';

/** What a bar shows; core computes speed and ETA, so the bar library only draws. */
export interface BarPayload {
  label: string;
  bytesOnDisk: number;
  total: number | undefined;
  bytesPerSecond: number;
  etaSeconds: number | undefined;
}

/** The name column and the bar at their widest; narrower terminals shrink them, name first. */
const preferredLabelWidth = 28;
const preferredBarWidth = 24;
const minimumLabelWidth = 16;
const minimumBarWidth = 10;
/** Below this many columns the bar is dropped and the figures take its place. */
export const minimumBarColumns = 60;
/** Assumed when the stream does not say (not a terminal, or a terminal that does not report it). */
export const defaultColumns = 80;

/**
 * One bar line that fits `columns` (it never reaches the last column, where terminals wrap):
 * `name  [=====-----]  42%  42.0 MiB/100 MiB  3.10 MiB/s  ETA 19s`.
 *
 * From 60 columns up, percent, bytes/total, speed and ETA are always shown; to make room the name
 * column shrinks first (down to 16 characters, with an ellipsis in the middle so both ends of the
 * name stay readable), then the bar, which goes when it would be narrower than 10. Below 60 columns
 * there is no bar, and the figures give way from the end (speed, then ETA) to keep 16 characters of
 * the name. An unknown total shows neither percent, bar fill nor ETA (invariant 5: no guess).
 */
export function renderBar(payload: BarPayload, columns: number = defaultColumns): string {
  const width = Math.max(columns, 20) - 1;
  const isWide = columns >= minimumBarColumns;
  const figures = isWide ? paddedFigures(payload) : compactFigures(payload);
  if (!isWide) {
    // Keep what fits of the figures, in order, leaving room for the name.
    const kept: string[] = [];
    let used = 0;
    for (const figure of figures) {
      if (kept.length > 0 && minimumLabelWidth + used + 1 + figure.length > width) break;
      kept.push(figure);
      used += 1 + figure.length;
    }
    return `${fitMiddle(payload.label, width - used)}${kept.map((figure) => ` ${figure}`).join('')}`;
  }
  const tail = figures.map((figure) => ` ${figure}`).join('');
  const room = width - tail.length;
  // The bar takes its brackets and a space: ` [` … `]`.
  const labelWidth = Math.max(
    Math.min(preferredLabelWidth, room - preferredBarWidth - 3),
    Math.min(minimumLabelWidth, room),
  );
  const barWidth = Math.min(preferredBarWidth, room - labelWidth - 3);
  if (barWidth < minimumBarWidth) return `${fitMiddle(payload.label, room)}${tail}`;
  return `${fitMiddle(payload.label, labelWidth)} [${barOf(payload, barWidth)}]${tail}`;
}

/** Percent, amount, speed, ETA in fixed widths, so the columns of several bars line up. */
function paddedFigures(payload: BarPayload): string[] {
  const rate = formatRate(payload.bytesPerSecond).padStart(10);
  if (payload.total === undefined) {
    return [`${formatBytes(payload.bytesOnDisk)} of unknown`.padStart(22), rate];
  }
  return [
    `${percentOf(payload)}%`.padStart(4),
    `${formatBytes(payload.bytesOnDisk)}/${formatBytes(payload.total)}`.padStart(17),
    rate,
    `ETA ${formatDuration(payload.etaSeconds).padEnd(5)}`,
  ];
}

/** The same figures without padding, most useful first, for narrow terminals. */
function compactFigures(payload: BarPayload): string[] {
  const rate = formatRate(payload.bytesPerSecond);
  if (payload.total === undefined) return [`${formatBytes(payload.bytesOnDisk)} of unknown`, rate];
  return [
    `${percentOf(payload)}%`,
    `${formatBytes(payload.bytesOnDisk)}/${formatBytes(payload.total)}`,
    `ETA ${formatDuration(payload.etaSeconds)}`,
    rate,
  ];
}

function percentOf(payload: BarPayload): number {
  return Math.floor(fractionOf(payload) * 100);
}

function fractionOf(payload: BarPayload): number {
  if (payload.total === undefined) return 0;
  return payload.total === 0 ? 1 : Math.min(payload.bytesOnDisk / payload.total, 1);
}

function barOf(payload: BarPayload, width: number): string {
  if (payload.total === undefined) return ' '.repeat(width);
  const filled = Math.round(fractionOf(payload) * width);
  return '='.repeat(filled) + '-'.repeat(width - filled);
}

/**
 * `text` padded to `width`, or shortened to it with `…` in the middle: file names differ at the
 * end (version, extension) as often as at the start, so both ends are kept.
 */
export function fitMiddle(text: string, width: number): string {
  const characters = Array.from(text);
  if (characters.length <= width) return text + ' '.repeat(Math.max(width - characters.length, 0));
  if (width <= 1) return '…'.slice(0, Math.max(width, 0));
  const head = Math.ceil((width - 1) / 2);
  const tail = width - 1 - head;
  return `${characters.slice(0, head).join('')}…${tail > 0 ? characters.slice(-tail).join('') : ''}`;
}
