/**
 * SCRAM server (RFC 5802) for SCRAM-SHA-256 and SCRAM-SHA-512:
 *   client-first  `n,[a=authzid],n=user,r=cnonce[,ext]`
 *   server-first  `r=cnonce+snonce,s=salt,i=iterations`
 *   client-final  `c=base64(gs2 header),r=nonce,p=proof`
 *   server-final  `v=server signature`
 * The client-final nonce must be exactly the nonce the server sent, which starts with the
 * client's (CVE-2024-56128: Kafka once skipped this check). Channel binding is not supported.
 */
import { randomBytes } from 'node:crypto';
import { AuthenticationError, IllegalSaslStateError, type SaslServer } from './mechanism.js';
import { decodeSaslName, SaslNameError, hash, hmac, safeEqual, xor, hashLength, type ScramCredential, type ScramMechanism } from '../../../protocol/sasl/scram-math.js';

const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/;


function attributes(msg: string): Array<[string, string]> {
  return msg.split(',').map((part) => {
    if (part.length < 2 || part[1] !== '=') throw new IllegalSaslStateError(`Invalid SCRAM message attribute`);
    return [part[0]!, part.slice(2)];
  });
}

type State = 'first' | 'final' | 'done' | 'failed';

export class ScramServer implements SaslServer {
  private state: State = 'first';
  private user = '';
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private credential: ScramCredential | undefined;

  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly lookup: (user: string, mechanism: ScramMechanism) => ScramCredential | undefined,
    /** The server's part of the nonce (tests fix it to replay RFC 7677's example). */
    private readonly serverNonce: () => string = () => randomBytes(20).toString('hex'),
  ) {}

  evaluate(token: Buffer): { response: Buffer; done: boolean; user?: string } {
    try {
      if (this.state === 'first') return this.first(token.toString('utf8'));
      if (this.state === 'final') return this.final(token.toString('utf8'));
      throw new IllegalSaslStateError(`Unexpected SCRAM message in state ${this.state}`);
    } catch (err) {
      this.state = 'failed';
      if (err instanceof SaslNameError) throw new IllegalSaslStateError(err.message);
      throw err;
    }
  }

  private first(msg: string): { response: Buffer; done: boolean } {
    const m = /^([ny]),(a=[^,]*)?,(.*)$/.exec(msg);
    if (!m) {
      if (msg.startsWith('p=')) throw new AuthenticationError('Channel binding is not supported');
      throw new IllegalSaslStateError('Invalid SCRAM client first message');
    }
    this.gs2Header = `${m[1]},${m[2] ?? ''},`;
    this.clientFirstBare = m[3]!;
    const attrs = attributes(this.clientFirstBare);
    if (attrs[0]?.[0] !== 'n' || attrs[1]?.[0] !== 'r') throw new IllegalSaslStateError('Invalid SCRAM client first message: n= and r= expected');
    this.user = decodeSaslName(attrs[0][1]);
    const clientNonce = attrs[1][1];
    if (!PRINTABLE.test(clientNonce)) throw new IllegalSaslStateError('Invalid SCRAM client nonce');
    const authzid = m[2] ? decodeSaslName(m[2].slice(2)) : '';
    if (authzid !== '' && authzid !== this.user) throw new AuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    for (const [k, v] of attrs.slice(2)) {
      // Kafka's extensions (tokenauth=true asks for delegation-token login, which is not supported).
      if (k === 'm') throw new IllegalSaslStateError('SCRAM mandatory extensions are not supported');
      if (k === 't' && v === 'tokenauth=true') throw new AuthenticationError('Delegation token authentication is not supported');
    }
    this.credential = this.lookup(this.user, this.mechanism);
    if (!this.credential) throw new AuthenticationError('Authentication failed: Invalid user credentials');
    this.nonce = clientNonce + this.serverNonce();
    this.serverFirst = `r=${this.nonce},s=${this.credential.salt.toString('base64')},i=${this.credential.iterations}`;
    this.state = 'final';
    return { response: Buffer.from(this.serverFirst, 'utf8'), done: false };
  }

  private final(msg: string): { response: Buffer; done: boolean; user: string } {
    const attrs = attributes(msg);
    const proofAt = msg.lastIndexOf(',p=');
    if (attrs.length < 3 || attrs[0]![0] !== 'c' || attrs[1]![0] !== 'r' || attrs[attrs.length - 1]![0] !== 'p' || proofAt < 0) {
      throw new IllegalSaslStateError('Invalid SCRAM client final message');
    }
    if (attrs[1]![1] !== this.nonce) throw new AuthenticationError('Invalid client nonce in the final client message.', true);
    if (Buffer.from(attrs[0]![1], 'base64').toString('latin1') !== this.gs2Header) throw new AuthenticationError('Invalid channel binding in the final client message.', true);
    const proof = Buffer.from(attrs[attrs.length - 1]![1], 'base64');
    const cred = this.credential!;
    if (proof.length !== hashLength(this.mechanism)) throw new AuthenticationError('Invalid client credentials', true);
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${msg.slice(0, proofAt)}`;
    const clientSignature = hmac(this.mechanism, cred.storedKey, authMessage);
    const computedStoredKey = hash(this.mechanism, xor(proof, clientSignature));
    if (!safeEqual(computedStoredKey, cred.storedKey)) throw new AuthenticationError('Invalid client credentials', true);
    const serverSignature = hmac(this.mechanism, cred.serverKey, authMessage);
    this.state = 'done';
    return { response: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), done: true, user: this.user };
  }
}
