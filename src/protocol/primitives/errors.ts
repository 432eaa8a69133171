/**
 * Raised by every decoder when the bytes cannot be a valid encoding: a length past the end of the
 * frame, a negative size where none is allowed, a varint that does not terminate, and so on.
 * Decoders never allocate more than the remaining input allows, so hostile lengths end here
 * instead of in an out-of-memory crash.
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
  }
}
