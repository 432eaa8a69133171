/**
 * A bounded HTTP(S) GET for the broker's own outgoing requests (an OAUTHBEARER JWKS endpoint):
 * status 200 or an error, at most 1 MiB of body, a timeout. Sockets live in broker/network.
 */
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { HttpGet, HttpGetTls } from '../security/oauth/jwks-source.js';

const MAX_BODY = 1 << 20;

export const httpGetText: HttpGet = (url: string, tls: HttpGetTls | undefined, timeoutMs: number): Promise<string> => {
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage): void => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
        return;
      }
      const chunks: Buffer[] = [];
      let total = 0;
      res.on('data', (c: Buffer) => {
        total += c.length;
        if (total > MAX_BODY) {
          res.destroy(new Error(`GET ${url}: the answer is larger than ${MAX_BODY} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    };
    const req = url.startsWith('https:') ? httpsGet(url, { ...(tls ?? {}), timeout: timeoutMs }, onResponse) : httpGet(url, { timeout: timeoutMs }, onResponse);
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
};
