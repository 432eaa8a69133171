/**
 * Waiting out a quota throttle on a connection (Kafka mutes the channel): resolves at `until`
 * (a performance.now() time) or as soon as the socket closes. The timer does not keep the
 * process alive.
 */
import type { Socket } from 'node:net';

export function throttleDelay(socket: Socket, until: number): Promise<void> {
  const ms = until - performance.now();
  if (ms <= 0 || socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      socket.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, Math.ceil(ms));
    timer.unref();
    socket.on('close', done);
  });
}
