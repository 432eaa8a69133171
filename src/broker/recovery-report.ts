/**
 * What loading a log found wrong on disk, in the broker's log: one warning per file that was
 * truncated, rebuilt, deleted or removed (naming the file, the action and why), and one info line
 * per log whose unflushed segments were recovered after an unclean stop.
 */
import type { Log } from '../storage/index.js';
import type { Logger } from './logger.js';

export function reportRecovery(logger: Logger, log: Log): void {
  const info = log.recoveryInfo;
  const partition = `${log.topic}-${log.partition}`;
  for (const e of info.events) {
    logger.warn({ partition, file: e.file, action: e.action }, `${partition}: ${e.file} ${e.action}: ${e.reason}`);
  }
  if (info.recoveredSegments > 0) {
    logger.info(
      { partition, recoveredSegments: info.recoveredSegments, truncatedBytes: info.truncatedBytes, logEndOffset: log.logEndOffset },
      `${partition}: recovered ${info.recoveredSegments} segment(s) (${info.truncatedBytes} bytes truncated), log end offset ${log.logEndOffset}`,
    );
  }
}
