import { write, writev, read, writeSync, writevSync } from 'node:fs';
import { open, rename, rm, readdir, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { hookedSync, writeFault, type StorageFileKind } from './io-hooks.js';

/** Kafka's file names: the offset zero-padded to 20 digits. */
export function offsetFileName(offset: number | bigint, suffix: string): string {
  return String(offset).padStart(20, '0') + suffix;
}

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const TXN_INDEX_SUFFIX = '.txnindex';
export const SNAPSHOT_SUFFIX = '.snapshot';
export const DELETED_SUFFIX = '.deleted';
export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';

/** Parses `<20 digits><suffix>`; returns the offset or undefined. */
export function parseOffsetFileName(name: string, suffix: string): number | undefined {
  if (!name.endsWith(suffix)) return undefined;
  const stem = name.slice(0, -suffix.length);
  if (!/^\d{20}$/.test(stem)) return undefined;
  return Number(stem);
}

// The hot paths use the raw descriptor with callback fs calls: measurably cheaper per call than
// FileHandle's promise methods.

function preadRaw(fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, off, len, pos, (e, n) => (e ? reject(e) : resolve(n))));
}
function pwriteRaw(fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> {
  return new Promise((resolve, reject) => write(fd, buf, off, len, pos, (e, n) => (e ? reject(e) : resolve(n))));
}
function pwritevRaw(fd: number, bufs: Buffer[], pos: number): Promise<number> {
  return new Promise((resolve, reject) => writev(fd, bufs, pos, (e, n) => (e ? reject(e) : resolve(n))));
}

/** Reads exactly `len` bytes at `position` (fewer only at end of file). */
export async function readAt(fh: FileHandle, position: number, len: number, into?: Buffer): Promise<Buffer> {
  const buf = into ?? Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const n = await preadRaw(fh.fd, buf, got, len - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got === buf.length ? buf : buf.subarray(0, got);
}

/** Writes the whole buffer at `position`, looping on short writes. */
export async function writeAt(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) done += await pwriteRaw(fh.fd, buf, done, buf.length - done, position + done);
}

/**
 * The first `n` bytes of `bufs` (a write the fault seam cuts short): written for real, as a full
 * disk writes what fits before it fails.
 */
function firstBytes(bufs: readonly Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of bufs) {
    if (n <= 0) break;
    out.push(b.length <= n ? b : b.subarray(0, n));
    n -= b.length;
  }
  return out;
}

/** Writes the buffers back to back at `position` with one writev (looping on short writes). */
export async function writevAt(fh: FileHandle, bufs: Buffer[], position: number, kind: StorageFileKind = 'log'): Promise<void> {
  const fault = writeFault(kind, bufs.reduce((n, b) => n + b.length, 0));
  if (fault) {
    const part = firstBytes(bufs, fault.writeFirst ?? 0);
    if (part.length > 0) await writevAtRaw(fh, part, position);
    throw fault.error;
  }
  return writevAtRaw(fh, bufs, position);
}

async function writevAtRaw(fh: FileHandle, bufs: Buffer[], position: number): Promise<void> {
  if (bufs.length === 1) return writeAt(fh, bufs[0]!, position);
  let total = 0;
  for (const b of bufs) total += b.length;
  let done = await pwritevRaw(fh.fd, bufs, position);
  if (done === total) return;
  // Short write (rare): finish buffer by buffer.
  let at = 0;
  for (const b of bufs) {
    const end = at + b.length;
    if (done < end) {
      const from = Math.max(0, done - at);
      await writeAt(fh, b.subarray(from), position + at + from);
      done = end;
    }
    at = end;
  }
}

/**
 * Synchronous writev at `position` (looping on short writes): for small appends a page-cache copy
 * on the main thread is cheaper than a round trip through libuv's thread pool.
 */
export function writevAtSync(fd: number, bufs: Buffer[], position: number, kind: StorageFileKind = 'log'): void {
  let total = 0;
  for (const b of bufs) total += b.length;
  const fault = writeFault(kind, total);
  if (fault) {
    const part = firstBytes(bufs, fault.writeFirst ?? 0);
    if (part.length > 0) writevAtSyncRaw(fd, part, position, part.reduce((n, b) => n + b.length, 0));
    throw fault.error;
  }
  writevAtSyncRaw(fd, bufs, position, total);
}

function writevAtSyncRaw(fd: number, bufs: Buffer[], position: number, total: number): void {
  let done = bufs.length === 1 ? writeSync(fd, bufs[0]!, 0, total, position) : writevSync(fd, bufs, position);
  if (done === total) return;
  let at = 0;
  for (const b of bufs) {
    const end = at + b.length;
    while (done < end) {
      const from = done - at;
      done += writeSync(fd, b, from, b.length - from, position + done);
    }
    at = end;
  }
}

/** A whole file's contents through the fault seam (a fault writes the part it allows, then fails). */
export async function writeWhole(fh: FileHandle, data: Buffer | string, kind: StorageFileKind, path: string): Promise<void> {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const fault = writeFault(kind, buf.length, path);
  if (fault) {
    if ((fault.writeFirst ?? 0) > 0) await fh.write(buf, 0, Math.min(buf.length, fault.writeFirst!), 0);
    throw fault.error;
  }
  await fh.writeFile(buf);
}

/** fsyncs a directory so renames and creations inside it are durable. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    const h = fh;
    await hookedSync('dir', dir, () => h.sync());
  } catch {
    // Some filesystems refuse fsync on directories; Kafka ignores that too.
  } finally {
    await fh?.close();
  }
}

/** Kafka's atomic file replacement: write `<path>.tmp`, fsync, rename over `path`, fsync the dir. */
export async function writeFileAtomic(path: string, data: Buffer | string): Promise<void> {
  const tmp = path + '.tmp';
  const fh = await open(tmp, 'w');
  try {
    await writeWhole(fh, data, 'checkpoint', tmp);
    await hookedSync('checkpoint', tmp, () => fh.sync());
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
  await fsyncDir(dirname(path));
}

export async function removeFilesWithSuffix(dir: string, suffixes: string[]): Promise<void> {
  for (const name of await readdir(dir)) {
    if (suffixes.some((s) => name.endsWith(s))) await rm(join(dir, name), { force: true, recursive: true });
  }
}
