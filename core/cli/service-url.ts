/**
 * Which service a command talks to: `--url`, else the running `serve` its run file names, else
 * `server.public_url` (or http://host:port). The answer says where it came from, so a failure can
 * say which service did not answer and why that one was asked.
 */
import type { ServiceLocation } from '../config/load-service-location.js';
import { CliError } from './cli-error.js';
import { findRunningInstance, runFilePath } from './run-file.js';

export interface ServiceUrl {
  readonly url: string;
  /** Where the URL came from, in words: "--url", "the running hooklaunch (pid 123)", "server.public_url". */
  readonly source: string;
}

export function serviceUrl(location: ServiceLocation, option: string | undefined): ServiceUrl {
  if (option !== undefined) return { url: option.replace(/\/+$/, ''), source: '--url' };
  const running = findRunningInstance(runFilePath(location.storeUrl, location.file));
  if (running) return { url: running.url, source: `the running hooklaunch (pid ${running.pid})` };
  return { url: location.publicUrl, source: location.configuredPublicUrl === undefined ? 'server.host and server.port; no running hooklaunch found' : 'server.public_url; no running hooklaunch found' };
}

/**
 * The base of the trigger URLs `serve` and `check` print: a public URL set to a real (not
 * loopback) address is what senders are given; otherwise the service's own URL, so a
 * `serve --port` shows the port it really listens on.
 */
export function triggerUrlBase(location: ServiceLocation, service: ServiceUrl): string {
  const configured = location.configuredPublicUrl;
  if (configured !== undefined && !isLoopback(configured)) return configured.replace(/\/+$/, '');
  return service.url;
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}

/** fetch, with "nothing listens there" turned into a one-line CliError naming the service. */
export async function fetchService(service: ServiceUrl, url: URL | string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    // undici rejects with TypeError("fetch failed") and the socket error as its cause.
    const cause = (error as { cause?: { code?: string } }).cause;
    const reason = cause?.code ? ` (${cause.code})` : '';
    throw new CliError(`no hooklaunch answering at ${service.url}${reason}, taken from ${service.source}; is \`hooklaunch serve\` running? (or pass --url)`, 1, { cause: error });
  }
}
