/** A one-line progress bar on standard error, for long directory scans; silent when piped or in CI. */

export interface Progress {
  tick(label: string): void;
  done(): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

const SILENT: Progress = { tick() {}, done() {} };

export function progressEnabled(stream: ProgressStream, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.CI;
}

export function createProgress(total: number, stream: ProgressStream, enabled: boolean): Progress {
  if (!enabled || total < 2) return SILENT;
  let completed = 0;
  let shown = false;
  return {
    tick(label: string) {
      completed += 1;
      const width = 24;
      const filled = Math.round((completed / total) * width);
      const head = `[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${completed}/${total} `;
      const columns = stream.columns && stream.columns > 0 ? stream.columns : 80;
      const room = Math.max(0, columns - head.length - 1);
      const tail = label.length <= room ? label : room > 1 ? `…${label.slice(label.length - room + 1)}` : '';
      stream.write(`\r\x1b[K${head}${tail}`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
