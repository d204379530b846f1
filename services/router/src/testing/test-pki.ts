// Test support: certificates for the router's TLS tests, made at test time with openssl (EC P-256,
// valid one day): a CA, a server certificate for 127.0.0.1/localhost, a client certificate from that
// CA, and a client certificate from a CA nobody trusts (the "wrong certificate").
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** PEM file paths. */
export interface TestPki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  rogueClientCert: string;
  rogueClientKey: string;
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 30_000 });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function authority(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  openssl(dir, ['req', '-x509', ...EC, '-days', '1', '-subj', `/CN=${name}`, '-keyout', key, '-out', cert, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { cert, key };
}

function leaf(dir: string, name: string, ca: { cert: string; key: string }, extensions: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, extensions);
  openssl(dir, ['req', ...EC, '-subj', `/CN=${name}`, '-keyout', key, '-out', csr]);
  openssl(dir, ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', cert]);
  return { cert, key };
}

/** Writes the test PKI into `dir` (a temp folder) and returns the file paths. */
export function createTestPki(dir: string): TestPki {
  const ca = authority(dir, 'router-test-ca');
  const server = leaf(dir, 'server', ca, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n');
  const client = leaf(dir, 'client', ca, 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
  const rogue = leaf(dir, 'rogue-client', authority(dir, 'rogue-ca'), 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
  return { caCert: ca.cert, serverCert: server.cert, serverKey: server.key, clientCert: client.cert, clientKey: client.key, rogueClientCert: rogue.cert, rogueClientKey: rogue.key };
}
