import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseProperties } from '../util/properties.js';
import { writeFileAtomic } from './files.js';

export const META_PROPERTIES = 'meta.properties';

export interface MetaProperties {
  version: number;
  clusterId: string;
  nodeId: number;
  directoryId: string;
}

/** Kafka's Uuid.randomUuid().toString(): 16 random bytes, base64url without padding, never starting with '-'. */
export function randomKafkaUuid(): string {
  for (;;) {
    const b = randomBytes(16);
    const s = b.toString('base64url');
    if (!s.startsWith('-') && !b.subarray(0, 15).every((x) => x === 0)) return s;
  }
}

/** Java's Date.toString() in UTC, as Properties.store writes on its second comment line. */
function javaDate(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/** meta.properties as Kafka 4 writes it (java.util.Properties.store with an empty comment). */
export function formatMetaProperties(m: MetaProperties, now = new Date()): string {
  return `#\n#${javaDate(now)}\nnode.id=${m.nodeId}\ndirectory.id=${m.directoryId}\nversion=${m.version}\ncluster.id=${m.clusterId}\n`;
}

export async function readMetaProperties(path: string): Promise<MetaProperties | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const p = Object.fromEntries(parseProperties(text));
  const version = Number(p['version'] ?? '0');
  const nodeId = Number(p['node.id'] ?? p['broker.id'] ?? NaN);
  if (!Number.isInteger(nodeId)) throw new Error(`${path}: no node.id`);
  return { version, clusterId: p['cluster.id'] ?? '', nodeId, directoryId: p['directory.id'] ?? '' };
}

export async function writeMetaProperties(path: string, m: MetaProperties): Promise<void> {
  await writeFileAtomic(path, formatMetaProperties(m));
}
