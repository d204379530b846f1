import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

/**
 * A server's TLS identity as PEM files. With `clientCaFile` the server requires mutual TLS: a client
 * must present a certificate signed by that CA, or the handshake fails before any call is read.
 */
export interface ServerTlsFiles {
  /** The server's certificate chain (PEM). */
  certFile: string;
  /** The server's private key (PEM). */
  keyFile: string;
  /** CA bundle (PEM) that client certificates must chain to; set it to require client certificates. */
  clientCaFile?: string;
}

/** What a client needs to reach a TLS server: the CA to trust, and its own certificate for mTLS. */
export interface ClientTlsFiles {
  /** CA bundle (PEM) the server's certificate must chain to. */
  caFile: string;
  /** The client's certificate chain (PEM), for servers that require client certificates. */
  certFile?: string;
  /** The client's private key (PEM). */
  keyFile?: string;
  /** The name to verify the server's certificate against when it differs from the address's host. */
  serverName?: string;
}

/** grpc-js server credentials from PEM files; mutual TLS when `clientCaFile` is set. */
export function serverCredentialsFromFiles(files: ServerTlsFiles): grpc.ServerCredentials {
  const clientCa = files.clientCaFile ? readFileSync(files.clientCaFile) : null;
  return grpc.ServerCredentials.createSsl(clientCa, [{ private_key: readFileSync(files.keyFile), cert_chain: readFileSync(files.certFile) }], clientCa !== null);
}

/** grpc-js channel credentials from PEM files (with the client's own certificate when both files are given). */
export function channelCredentialsFromFiles(files: ClientTlsFiles): grpc.ChannelCredentials {
  if (Boolean(files.certFile) !== Boolean(files.keyFile)) throw new Error('client TLS: certFile and keyFile go together');
  return grpc.credentials.createSsl(
    readFileSync(files.caFile),
    files.keyFile ? readFileSync(files.keyFile) : null,
    files.certFile ? readFileSync(files.certFile) : null,
  );
}

/** Channel options a TLS client needs besides its credentials (the server name override, if any). */
export function tlsChannelOptions(files: ClientTlsFiles): grpc.ChannelOptions {
  return files.serverName ? { 'grpc.ssl_target_name_override': files.serverName, 'grpc.default_authority': files.serverName } : {};
}
