/**
 * One LogOutputChannel for the extension, and the guard every provider, command and listener runs inside:
 * an exception is logged (and, for commands, shown) instead of escaping into VS Code.
 */
import * as vscode from 'vscode';

const RECENT_LINES = 200;

export class Log implements vscode.Disposable {
  private readonly channel: vscode.LogOutputChannel;
  /** The last lines, for the integration tests and the "IOMMU: Show Log" command. */
  readonly recent: string[] = [];

  constructor() {
    this.channel = vscode.window.createOutputChannel('iommu-review', { log: true });
  }

  info(message: string): void {
    this.remember('info', message);
    this.channel.info(message);
  }

  warn(message: string): void {
    this.remember('warn', message);
    this.channel.warn(message);
  }

  error(message: string, err?: unknown): void {
    const detail = err === undefined ? '' : `: ${describeError(err)}`;
    this.remember('error', message + detail);
    this.channel.error(message + detail);
    if (err instanceof Error && err.stack) this.channel.debug(err.stack);
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }

  private remember(level: string, message: string): void {
    this.recent.push(`[${level}] ${message}`);
    if (this.recent.length > RECENT_LINES) this.recent.splice(0, this.recent.length - RECENT_LINES);
  }
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Wraps a callback so nothing it throws (or rejects with) leaves the extension: the error is logged and the
 * fallback returned. `what` names the feature in the log line.
 */
export function guard<A extends unknown[], R>(log: Log, what: string, fallback: R, fn: (...args: A) => R | Thenable<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      log.error(`${what} failed`, err);
      return fallback;
    }
  };
}

/** The guard for commands: also tells the user, since they asked for something and it did not happen. */
export function guardCommand<A extends unknown[], R>(log: Log, what: string, fn: (...args: A) => R | Thenable<R>): (...args: A) => Promise<R | undefined> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      log.error(`${what} failed`, err);
      void vscode.window.showErrorMessage(`iommu-review: ${what} failed: ${describeError(err)}`);
      return undefined;
    }
  };
}
