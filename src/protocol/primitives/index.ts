export { Reader, type RawTaggedField } from './reader.js';
export { Writer } from './writer.js';
export { DecodeError } from './errors.js';
export { crc32c } from './crc32c.js';
export { ZERO_UUID } from './uuid.js';
