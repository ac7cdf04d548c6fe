// Where a token may go: the extension's side of the sidecar's PlainHttpPolicy (https always; plain http only to this
// machine or to a host listed in "modelscope.allowHttpHosts"), and which hub a token found on this machine belongs to.
// The sidecar enforces the rule; this lets the extension ask before it would refuse. Pure: no `vscode` import.

/** Setting that lists the hosts allowed over plain http; application scope, so a workspace cannot set it. */
export const allowHttpHostsSetting = 'allowHttpHosts';

/** Environment variable the sidecar reads the allowed hosts from (the CLI reads it too). */
export const allowHttpHostsVariable = 'MODELIDE_ALLOW_HTTP_HOSTS';

/** How the sidecar's refusal tells an extension user to opt in (`{host}` is filled in by the sidecar). */
export const optInHintVariable = 'MODELIDE_ALLOW_HTTP_OPT_IN';
export const optInHint = 'add "{host}" to the setting "modelscope.allowHttpHosts"';

function parse(endpoint: string): URL | undefined {
  try {
    return new URL(endpoint);
  } catch {
    return undefined;
  }
}

function normalizeHost(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, '');
}

/** localhost, 127.0.0.0/8, ::1 and the IPv4-mapped ::ffff:127.x.y.z (as the URL parser writes it). */
export function isLoopbackHost(hostname: string): boolean {
  const host = normalizeHost(hostname);
  return (
    host === 'localhost' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '[::1]' ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host)
  );
}

/** `host`, or `host:port` when the port is not 80: the entry that allows exactly this hub. */
export function hostKey(url: URL): string {
  const host = normalizeHost(url.hostname);
  return url.port && url.port !== '80' ? `${host}:${url.port}` : host;
}

/** One entry of the allow list: a host (any port) or host:port; `http://` and a path are tolerated. */
function parseEntry(entry: string): { host: string; port?: number } | undefined {
  const text = entry.includes('://') ? entry : `http://${entry}`;
  const url = parse(text);
  if (!url || !url.hostname) {
    return undefined;
  }
  const authority = text.slice(text.indexOf('://') + 3).split(/[/?#]/)[0];
  const bracket = authority.lastIndexOf(']');
  const explicitPort = (bracket >= 0 ? authority.slice(bracket + 1) : authority).includes(':');
  return { host: normalizeHost(url.hostname), port: explicitPort ? Number(url.port || 80) : undefined };
}

/**
 * The host to allow before a token may be sent to `endpoint`, or undefined when it may be sent already
 * (https, this machine, or a listed host).
 */
export function plainHttpHostToAllow(endpoint: string, allowed: readonly string[]): string | undefined {
  const url = parse(endpoint);
  if (!url || url.protocol !== 'http:' || isLoopbackHost(url.hostname)) {
    return undefined; // not http: the sidecar refuses anything but http(s) by itself
  }
  const host = normalizeHost(url.hostname);
  const port = Number(url.port || 80);
  const ok = allowed
    .flatMap((e) => e.split(/[,;\s]+/))
    .filter((e) => e.length > 0)
    .map(parseEntry)
    .some((e) => e !== undefined && e.host === host && (e.port === undefined || e.port === port));
  return ok ? undefined : hostKey(url);
}

/** The allow list with `host` added once. */
export function withHostAllowed(allowed: readonly string[], host: string): string[] {
  return allowed.includes(host) ? [...allowed] : [...allowed, host];
}

/** The variable's value for the sidecar: what the user's environment allows plus the setting's hosts. */
export function allowHttpHostsForSidecar(fromEnvironment: string | undefined, fromSetting: readonly string[]): string {
  return [fromEnvironment ?? '', ...fromSetting].map((s) => s.trim()).filter((s) => s.length > 0).join(',');
}

/**
 * The hub a token from MODELSCOPE_API_TOKEN or the SDK's credentials folder was made for: the SDK's own endpoint
 * (MODELSCOPE_ENDPOINT, else MODELSCOPE_DOMAIN, else modelscope.cn), the rule the sidecar's HubEndpoints.Resolve follows.
 */
export function sdkEndpoint(env: Record<string, string | undefined>): string {
  const endpoint = env.MODELSCOPE_ENDPOINT?.trim();
  if (endpoint) {
    return endpoint.replace(/\/+$/, '');
  }
  const domain = env.MODELSCOPE_DOMAIN?.trim();
  if (domain) {
    return (domain.includes('://') ? domain : `https://${domain}`).replace(/\/+$/, '');
  }
  return 'https://modelscope.cn';
}

/** Same hub: scheme, host and port equal; `www.` in front of the host does not count. */
export function sameHub(a: string, b: string): boolean {
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) {
    return false;
  }
  const host = (u: URL) => normalizeHost(u.hostname).replace(/^www\./, '');
  return x.protocol === y.protocol && host(x) === host(y) && x.port === y.port;
}

/** "modelscope.cn", "127.0.0.1:8765", "hub.lan:8080": how an endpoint is shown in choices and prompts. */
export function endpointLabel(endpoint: string): string {
  const url = parse(endpoint);
  if (!url) {
    return endpoint;
  }
  return url.protocol === 'http:' ? `http://${url.host}` : url.host;
}
