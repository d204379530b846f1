// Certificates for the mTLS scenarios, made at test time with openssl (EC P-256, valid one day): a
// CA, a server certificate for 127.0.0.1/localhost, a client certificate from the same CA, and a
// rogue CA with a client certificate of its own (the "wrong certificate").
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
  /** A CA nobody trusts, and a client certificate it signed. */
  rogueCaCert: string;
  rogueClientCert: string;
  rogueClientKey: string;
  /** A client certificate that signs itself. */
  selfSignedClientCert: string;
  selfSignedClientKey: string;
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 30_000 });

function authority(dir: string, name: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', key, '-out', cert, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { cert, key };
}

function leaf(dir: string, name: string, ca: { cert: string; key: string }, extensions: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, extensions);
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', key, '-out', csr]);
  openssl(dir, ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', cert]);
  return { cert, key };
}

/** Writes the test PKI into `dir` (a temp folder) and returns the file paths. */
export function createTestPki(dir: string): TestPki {
  const ca = authority(dir, 'switchyard-test-ca');
  const server = leaf(dir, 'adapter', ca, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n');
  const client = leaf(dir, 'router', ca, 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
  const rogueCa = authority(dir, 'rogue-ca');
  const rogueClient = leaf(dir, 'rogue-router', rogueCa, 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
  const selfSigned = authority(dir, 'self-signed-router');
  return {
    caCert: ca.cert,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    rogueCaCert: rogueCa.cert,
    rogueClientCert: rogueClient.cert,
    rogueClientKey: rogueClient.key,
    selfSignedClientCert: selfSigned.cert,
    selfSignedClientKey: selfSigned.key,
  };
}
