import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import { channelCredentialsFromFiles, tlsChannelOptions } from '@switchyard/grpc-kit';
import type { ClientTlsConfig } from './config';

/**
 * The SDK client options for a connection the router makes (adapters, billing, evaluator): TLS
 * credentials (with the router's client certificate for mutual TLS) and the server-name override, or
 * nothing for plaintext. PEM files are read now, so a missing or unreadable one stops the start.
 */
export function clientConnectionOptions(tls: ClientTlsConfig | undefined): { credentials?: ChannelCredentials; channelOptions?: ChannelOptions } {
  return tls ? { credentials: channelCredentialsFromFiles(tls), channelOptions: tlsChannelOptions(tls) } : {};
}
