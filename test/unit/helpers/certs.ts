// Test certificates, made at test time with the openssl CLI in a temp dir (no key is ever
// committed): a CA, server certificates for 127.0.0.1/localhost, and client certificates.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caCert: string;
  /** Path of a PEM file with the server's key and certificate. */
  serverPem(name: string): string;
  /** PEM strings of a certificate signed by the CA: key and cert (`cn` names the subject's CN). */
  issue(name: string, subject: string, san?: string): { key: string; cert: string; keyPath: string; certPath: string };
}

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-pki-'));
  const run = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=Tributary Test CA', '-days', '2');
  const issue = (name: string, subject: string, san?: string): { key: string; cert: string; keyPath: string; certPath: string } => {
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    const ext = join(dir, `${name}.ext`);
    writeFileSync(ext, san ? `subjectAltName=${san}\n` : 'basicConstraints=CA:FALSE\n');
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', ext);
    return { key: readFileSync(join(dir, `${name}.key`), 'utf8'), cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), keyPath: join(dir, `${name}.key`), certPath: join(dir, `${name}.crt`) };
  };
  return {
    dir,
    caCert: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    issue,
    serverPem(name: string): string {
      const c = issue(name, `/CN=${name}/O=Tributary`, 'IP:127.0.0.1,DNS:localhost');
      const p = join(dir, `${name}.pem`);
      writeFileSync(p, c.key + c.cert);
      return p;
    },
  };
}

/** PKCS12 of a key and certificate, protected by `password`. */
export function pkcs12(pki: TestPki, name: string, keyPath: string, certPath: string, password: string): string {
  const out = join(pki.dir, `${name}.p12`);
  execFileSync('openssl', ['pkcs12', '-export', '-inkey', keyPath, '-in', certPath, '-out', out, '-passout', `pass:${password}`], { stdio: 'pipe' });
  return out;
}

/** The key encrypted with `password` (PKCS#8). */
export function encryptedKey(keyPath: string, password: string): string {
  return execFileSync('openssl', ['pkcs8', '-topk8', '-in', keyPath, '-passout', `pass:${password}`], { encoding: 'utf8' });
}
