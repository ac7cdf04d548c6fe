// Human-readable sizes, durations and download progress lines.
import type { DownloadsProgressParams } from '../sidecar/protocol.generated';

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) {
    return '?';
  }
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return '?';
  }
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(rest).padStart(2, '0')}`;
}

export function formatCount(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) {
    return '0';
  }
  if (n >= 1_000_000) {
    return `${(n / 1_000_000).toFixed(1)}M`;
  }
  if (n >= 1000) {
    return `${(n / 1000).toFixed(1)}k`;
  }
  return String(n);
}

/** What a progress line needs of a downloads/progress notification. */
export type ProgressLike = Omit<DownloadsProgressParams, 'downloadId' | 'file'>;

/** "12.0 MB / 100.0 MB · 5.0 MB/s · ETA 0:18 · 1/3 files" (units are not translated). */
export function describeProgress(p: ProgressLike): string {
  const parts = [`${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}`, `${formatBytes(p.bytesPerSecond)}/s`];
  if (p.etaSeconds !== undefined && p.etaSeconds !== null) {
    parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
  }
  parts.push(`${p.filesDone}/${p.filesTotal} files`);
  return parts.join(' · ');
}

/** Percentage points to add to a progress bar that last showed `previousPercent`. */
export function progressIncrement(p: ProgressLike, previousPercent: number): { percent: number; increment: number } {
  const percent = p.bytesTotal > 0 ? Math.min(100, (100 * p.bytesDone) / p.bytesTotal) : previousPercent;
  return { percent, increment: Math.max(0, percent - previousPercent) };
}
