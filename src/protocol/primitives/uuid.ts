/** Kafka's Uuid.ZERO_UUID in the string form Reader.readUUID returns: "no topic id" on the wire. */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
