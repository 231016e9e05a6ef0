/**
 * `server.trust_proxy`: whose X-Forwarded-For and X-Forwarded-Proto are believed. Anyone can send
 * those headers, so they are read only when the direct peer is a listed proxy; otherwise the
 * socket's own address and scheme stand. Hand-written rather than express's `trust proxy`
 * (proxy-addr) because the launch route runs on bare node:http, not express.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';

const X_FORWARDED_FOR = 'x-forwarded-for';
const X_FORWARDED_PROTO = 'x-forwarded-proto';

/** Whether an address is one of the trusted proxies. */
export type ProxyTrust = (address: string) => boolean;

/** undefined when the list is empty: the hot path then reads the socket and nothing else. */
export function createProxyTrust(entries: readonly string[]): ProxyTrust | undefined {
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return (address) => {
    const plain = unmapped(address);
    const family = isIP(plain);
    return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  };
}

/**
 * The client's address: the socket's peer, or, when that peer is trusted, the X-Forwarded-For
 * hops read from the right (nearest) until one that is not a trusted proxy — the first address
 * no proxy of ours vouches for. Anything left of it was written by the client and is not believed.
 */
export function clientAddress(req: IncomingMessage, trust: ProxyTrust | undefined): string {
  const peer = req.socket.remoteAddress ?? '';
  if (!trust || !trust(peer)) return peer;
  const header = req.headersDistinct[X_FORWARDED_FOR];
  if (!header) return peer;
  const hops = header.join(',').split(',').map((hop) => hop.trim());
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    // A malformed hop ends the chain: what the last trusted proxy saw is all that is known.
    if (isIP(hop) === 0) break;
    client = hop;
    if (!trust(hop)) break;
  }
  return client;
}

/** `https` over native TLS, or when a trusted proxy says the client used it (its first X-Forwarded-Proto value, as express reads it). */
export function clientScheme(req: IncomingMessage, trust: ProxyTrust | undefined): 'http' | 'https' {
  if ((req.socket as TLSSocket).encrypted === true) return 'https';
  if (!trust || !trust(req.socket.remoteAddress ?? '')) return 'http';
  const proto = req.headersDistinct[X_FORWARDED_PROTO]?.[0]?.split(',')[0]?.trim().toLowerCase();
  return proto === 'https' ? 'https' : 'http';
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is 10.0.0.1 for the list. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
