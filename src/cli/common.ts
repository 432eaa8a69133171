/**
 * What the Kafka tools share: where their output goes (injectable, for tests), and the admin
 * client they connect with from --bootstrap-server and --command-config.
 */
import { readFile } from 'node:fs/promises';
import { parseProperties } from '../broker/config/properties.js';
import { Admin } from '../client/admin.js';

export interface CommandIO {
  out(s: string): void;
  err(s: string): void;
}

export const processIO: CommandIO = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

/**
 * An Admin on the first of --bootstrap-server's brokers. --command-config is a properties file of
 * client settings; client.id and request.timeout.ms are honoured, others ignored.
 */
export async function connectAdmin(bootstrapServer: string, commandConfig: string | undefined, defaultClientId: string): Promise<Admin> {
  const props = commandConfig ? parseProperties(await readFile(commandConfig, 'utf8')) : new Map<string, string>();
  const timeout = props.get('request.timeout.ms');
  return Admin.connect({
    bootstrap: bootstrapServer.split(',')[0]!.trim(),
    clientId: props.get('client.id') ?? defaultClientId,
    ...(timeout ? { requestTimeoutMs: Number(timeout) } : {}),
  });
}
