/**
 * The seam every storage write and fsync goes through, for fault injection and counting in tests
 * (nothing is hooked in production: one undefined check per call). A test installs hooks with
 * setStorageIoHooks and removes them with setStorageIoHooks(undefined).
 *
 * - write: before a write of `bytes` bytes to a file of `kind`. Return undefined to let it
 *   through, or a fault: the first `writeFirst` bytes (default 0) are written for real, then the
 *   write fails with `error` (ENOSPC after a short write, as a full disk does, or EIO).
 * - sync: before an fsync/fdatasync of a file of `kind` (or of a directory). It may return a
 *   promise the fsync waits for (to hold one in flight), or throw to fail it.
 */
export type StorageFileKind = 'log' | 'index' | 'snapshot' | 'checkpoint' | 'dir';

export interface StorageIoFault {
  error: NodeJS.ErrnoException;
  writeFirst?: number;
}

export interface StorageIoHooks {
  write?(kind: StorageFileKind, bytes: number, path: string | undefined): StorageIoFault | undefined;
  sync?(kind: StorageFileKind, path: string | undefined): void | Promise<void>;
}

let hooks: StorageIoHooks | undefined;

export function setStorageIoHooks(h: StorageIoHooks | undefined): void {
  hooks = h;
}

/** A Node-style errno error, as fs raises it (`code` ENOSPC, EIO, ...). */
export function ioError(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  const messages: Readonly<Record<string, string>> = { ENOSPC: 'no space left on device', EIO: 'i/o error', EDQUOT: 'disk quota exceeded' };
  const e: NodeJS.ErrnoException = new Error(`${code}: ${messages[code] ?? 'error'}, ${syscall}${path ? ` '${path}'` : ''}`);
  e.code = code;
  e.syscall = syscall;
  if (path !== undefined) e.path = path;
  return e;
}

/** The fault a write must suffer, if a hook wants one. */
export function writeFault(kind: StorageFileKind, bytes: number, path?: string): StorageIoFault | undefined {
  return hooks?.write?.(kind, bytes, path);
}

/** Runs `fsync` unless the hook fails it (after waiting for the hook when it asks to). */
export async function hookedSync(kind: StorageFileKind, path: string | undefined, fsync: () => Promise<void>): Promise<void> {
  const h = hooks?.sync;
  if (h) {
    const wait = h(kind, path);
    if (wait) await wait;
  }
  await fsync();
}
