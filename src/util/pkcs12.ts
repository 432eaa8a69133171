/**
 * The certificates of a PKCS#12 file (RFC 7292), for trust stores (`ssl.truststore.type=PKCS12`):
 * node:tls takes a PKCS#12 only as a key store (`pfx`, which needs a private key), so a trust
 * store of certificates alone is read here.
 *
 * Read: the PFX's authenticated safe, its plain and encrypted SafeContents, and their certificate
 * bags (X.509). Encryption: PBES2 (PBKDF2 with HMAC-SHA1/224/256/384/512; AES-128/192/256-CBC or
 * 3DES-CBC), what keytool (Java 12+) and OpenSSL 3 write; and PKCS#12 PBE with 3DES (older
 * OpenSSL). RC2-40 (OpenSSL 1.x's `-legacy` default for certificates) is refused with a clear error.
 * The MAC (PKCS#12 key derivation, SHA-1/SHA-2) is checked when a password is given: a wrong
 * password is an error, as Java's KeyStore.load reports it. Keys in the file are ignored.
 */
import { createDecipheriv, createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

export class Pkcs12Error extends Error {
  override readonly name = 'Pkcs12Error';
}

interface Tlv {
  tag: number;
  /** The value's bytes. */
  value: Buffer;
  /** Position after the element. */
  end: number;
}

function readTlv(buf: Buffer, pos: number): Tlv {
  if (pos + 2 > buf.length) throw new Pkcs12Error('truncated DER element');
  const tag = buf[pos]!;
  let len = buf[pos + 1]!;
  let at = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || at + n > buf.length) throw new Pkcs12Error('unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[at + i]!;
    at += n;
  }
  if (at + len > buf.length) throw new Pkcs12Error('DER element longer than its container');
  return { tag, value: buf.subarray(at, at + len), end: at + len };
}

/** The elements of a constructed value. */
function children(value: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let pos = 0; pos < value.length; ) {
    const t = readTlv(value, pos);
    out.push(t);
    pos = t.end;
  }
  return out;
}

function expect(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new Pkcs12Error(`malformed PKCS#12: expected ${what}`);
  return t;
}

function oid(t: Tlv | undefined): string {
  const v = expect(t, 0x06, 'an object identifier').value;
  const parts = [Math.floor(v[0]! / 40), v[0]! % 40];
  let n = 0;
  for (let i = 1; i < v.length; i++) {
    n = n * 128 + (v[i]! & 0x7f);
    if ((v[i]! & 0x80) === 0) {
      parts.push(n);
      n = 0;
    }
  }
  return parts.join('.');
}

function int(t: Tlv | undefined): number {
  const v = expect(t, 0x02, 'an integer').value;
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

/** Iteration counts above this are refused (keytool writes 10,000, OpenSSL 2,048): a bad file must not spin the broker. */
const MAX_ITERATIONS = 1_000_000;

function iterations(t: Tlv | undefined): number {
  const n = int(t);
  if (n < 1 || n > MAX_ITERATIONS) throw new Pkcs12Error(`iteration count ${n} outside 1..${MAX_ITERATIONS}`);
  return n;
}

/** An OCTET STRING, primitive or constructed (BER, as some writers chunk it). */
function octets(t: Tlv | undefined): Buffer {
  if (!t) throw new Pkcs12Error('malformed PKCS#12: expected an octet string');
  if (t.tag === 0x04 || t.tag === 0x80) return t.value;
  if (t.tag === 0x24 || t.tag === 0xa0) return Buffer.concat(children(t.value).map(octets));
  throw new Pkcs12Error('malformed PKCS#12: expected an octet string');
}

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeSha3Des: '1.2.840.113549.1.12.1.3',
  pbeSha2Des: '1.2.840.113549.1.12.1.4',
  pbeShaRc2_128: '1.2.840.113549.1.12.1.5',
  pbeShaRc2_40: '1.2.840.113549.1.12.1.6',
} as const;

const DIGESTS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const HMACS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
const CIPHERS: Record<string, { name: string; keyLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
};

/** The password as PKCS#12's KDF takes it: BMPString (UTF-16BE) with a terminating zero. */
function bmpPassword(password: string): Buffer {
  const b = Buffer.alloc((password.length + 1) * 2);
  for (let i = 0; i < password.length; i++) b.writeUint16BE(password.charCodeAt(i), i * 2);
  return b;
}

/** RFC 7292 appendix B.2: `n` bytes of key material for purpose `id` (1 key, 2 IV, 3 MAC key). */
function pkcs12Kdf(hash: string, password: Buffer, salt: Buffer, iterations: number, id: number, n: number): Buffer {
  const u = createHash(hash).digest().length;
  const v = hash === 'sha384' || hash === 'sha512' ? 128 : 64;
  const fill = (src: Buffer): Buffer => {
    if (src.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(src.length / v));
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([fill(salt), fill(password)]);
  const out: Buffer[] = [];
  for (let got = 0; got < n; got += u) {
    let A = createHash(hash).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash(hash).update(A).digest();
    out.push(A);
    const B = Buffer.alloc(v);
    for (let i = 0; i < v; i++) B[i] = A[i % u]!;
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, n);
}

function decipher(name: string, key: Buffer, iv: Buffer, data: Buffer): Buffer {
  try {
    const d = createDecipheriv(name, key, iv);
    return Buffer.concat([d.update(data), d.final()]);
  } catch (e) {
    throw new Pkcs12Error(`cannot decrypt the PKCS#12 certificates (wrong password?): ${(e as Error).message}`);
  }
}

/** Decrypts an EncryptedContentInfo's content with its algorithm (PBES2 or PKCS#12 PBE). */
function decrypt(alg: Tlv, data: Buffer, password: string | null): Buffer {
  const [algOid, params] = children(expect(alg, 0x30, 'an algorithm identifier').value);
  const id = oid(algOid);
  if (password === null) throw new Pkcs12Error('the PKCS#12 certificates are encrypted: ssl.truststore.password is needed');
  const p = children(expect(params, 0x30, 'algorithm parameters').value);
  if (id === OID.pbes2) {
    const [kdf, scheme] = p;
    const [kdfOid, kdfParams] = children(expect(kdf, 0x30, 'a key derivation function').value);
    if (oid(kdfOid) !== OID.pbkdf2) throw new Pkcs12Error(`unsupported PBES2 key derivation ${oid(kdfOid)} (PBKDF2 only)`);
    const kp = children(expect(kdfParams, 0x30, 'PBKDF2 parameters').value);
    const salt = expect(kp[0], 0x04, 'a PBKDF2 salt').value;
    const count = iterations(kp[1]);
    let rest = kp.slice(2);
    if (rest[0]?.tag === 0x02) rest = rest.slice(1); // keyLength: the cipher decides
    const prf = rest[0] ? HMACS[oid(children(rest[0].value)[0])] : 'sha1';
    if (!prf) throw new Pkcs12Error('unsupported PBKDF2 pseudo-random function');
    const [cipherOid, ivTlv] = children(expect(scheme, 0x30, 'an encryption scheme').value);
    const cipher = CIPHERS[oid(cipherOid)];
    if (!cipher) throw new Pkcs12Error(`unsupported PBES2 cipher ${oid(cipherOid)} (AES-CBC or 3DES)`);
    const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, count, cipher.keyLength, prf);
    return decipher(cipher.name, key, expect(ivTlv, 0x04, 'an IV').value, data);
  }
  if (id === OID.pbeSha3Des || id === OID.pbeSha2Des) {
    const salt = expect(p[0], 0x04, 'a PBE salt').value;
    const count = iterations(p[1]);
    const pw = bmpPassword(password);
    const key = pkcs12Kdf('sha1', pw, salt, count, 1, 24);
    if (id === OID.pbeSha2Des) key.copy(key, 16, 0, 8);
    return decipher('des-ede3-cbc', key, pkcs12Kdf('sha1', pw, salt, count, 2, 8), data);
  }
  if (id === OID.pbeShaRc2_40 || id === OID.pbeShaRc2_128) {
    throw new Pkcs12Error('the PKCS#12 certificates are encrypted with RC2 (a legacy algorithm OpenSSL 3 no longer offers): re-export with AES, e.g. keytool -importkeystore or openssl pkcs12 -export -certpbe AES-256-CBC');
  }
  throw new Pkcs12Error(`unsupported PKCS#12 encryption ${id}`);
}

/** Checks the PFX's MAC over the authenticated safe (the password's check). */
function checkMac(macData: Tlv, authSafe: Buffer, password: string): void {
  const [mac, saltTlv, iterTlv] = children(expect(macData, 0x30, 'MAC data').value);
  const [digestAlg, digest] = children(expect(mac, 0x30, 'a MAC').value);
  const hash = DIGESTS[oid(children(expect(digestAlg, 0x30, 'a digest algorithm').value)[0])];
  if (!hash) throw new Pkcs12Error('unsupported PKCS#12 MAC digest');
  const salt = expect(saltTlv, 0x04, 'a MAC salt').value;
  const count = iterTlv ? iterations(iterTlv) : 1;
  const expected = expect(digest, 0x04, 'a MAC digest').value;
  const key = pkcs12Kdf(hash, bmpPassword(password), salt, count, 3, createHash(hash).digest().length);
  const got = createHmac(hash, key).update(authSafe).digest();
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
    throw new Pkcs12Error('keystore password was incorrect (the PKCS#12 MAC does not verify)');
  }
}

/** The X.509 certificates of a SafeContents, as DER. */
function certBags(safeContents: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (const bag of children(expect(readTlv(safeContents, 0), 0x30, 'SafeContents').value)) {
    const [bagId, bagValue] = children(expect(bag, 0x30, 'a SafeBag').value);
    if (oid(bagId) !== OID.certBag) continue;
    const [certBag] = children(expect(bagValue, 0xa0, 'a bag value').value);
    const [certId, certValue] = children(expect(certBag, 0x30, 'a CertBag').value);
    if (oid(certId) !== OID.x509Certificate) continue;
    out.push(octets(children(expect(certValue, 0xa0, 'a certificate value').value)[0]!));
  }
  return out;
}

/** The certificates of a PKCS#12 file as PEM strings. `password` null: unchecked, and only plain bags can be read. */
export function pkcs12Certificates(der: Buffer, password: string | null): string[] {
  const pfx = children(expect(readTlv(der, 0), 0x30, 'a PFX').value);
  if (int(pfx[0]) !== 3) throw new Pkcs12Error('not a PKCS#12 version 3 file');
  const [ctype, content] = children(expect(pfx[1], 0x30, 'the authenticated safe').value);
  if (pfx[2] && pfx[2].tag !== 0x30) throw new Pkcs12Error('malformed PKCS#12: expected MAC data');
  if (oid(ctype) !== OID.data) throw new Pkcs12Error('PKCS#12 with public-key integrity is not supported');
  const authSafe = octets(children(expect(content, 0xa0, 'content').value)[0]!);
  if (password !== null && pfx[2]) checkMac(pfx[2], authSafe, password);
  const certs: Buffer[] = [];
  for (const info of children(expect(readTlv(authSafe, 0), 0x30, 'AuthenticatedSafe').value)) {
    const [type, body] = children(expect(info, 0x30, 'a ContentInfo').value);
    const inner = children(expect(body, 0xa0, 'content').value)[0]!;
    const t = oid(type);
    if (t === OID.data) {
      certs.push(...certBags(octets(inner)));
    } else if (t === OID.encryptedData) {
      const [, eci] = children(expect(inner, 0x30, 'EncryptedData').value);
      const [, alg, encrypted] = children(expect(eci, 0x30, 'EncryptedContentInfo').value);
      if (!encrypted) continue;
      certs.push(...certBags(decrypt(alg!, octets(encrypted), password)));
    }
  }
  return certs.map((c) => `-----BEGIN CERTIFICATE-----\n${c.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`);
}
