/**
 * SASL/PLAIN (RFC 4616): one message `[authzid] NUL authcid NUL passwd`. As in Kafka, the
 * authorization id must be empty or the user itself; the password is compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthenticationError, type SaslServer } from './mechanism.js';

export class PlainServer implements SaslServer {
  private done = false;
  constructor(private readonly users: ReadonlyMap<string, string>) {}

  evaluate(token: Buffer): { response: Buffer; done: boolean; user?: string } {
    if (this.done) throw new AuthenticationError('PLAIN exchange already complete');
    this.done = true;
    const first = token.indexOf(0);
    const second = first < 0 ? -1 : token.indexOf(0, first + 1);
    if (first < 0 || second < 0 || token.indexOf(0, second + 1) >= 0) throw new AuthenticationError('Invalid SASL/PLAIN response: expected 3 tokens');
    const authzid = token.subarray(0, first).toString('utf8');
    const user = token.subarray(first + 1, second).toString('utf8');
    const password = token.subarray(second + 1);
    if (user === '') throw new AuthenticationError('Authentication failed: username not specified');
    if (password.length === 0) throw new AuthenticationError('Authentication failed: password not specified');
    const expected = this.users.get(user);
    // Digests keep the comparison constant-time whatever the lengths.
    const digest = (b: Buffer): Buffer => createHash('sha256').update(b).digest();
    const ok = expected !== undefined && timingSafeEqual(digest(Buffer.from(expected, 'utf8')), digest(password));
    if (!ok) throw new AuthenticationError('Authentication failed: Invalid username or password');
    if (authzid !== '' && authzid !== user) throw new AuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    return { response: Buffer.alloc(0), done: true, user };
  }
}
