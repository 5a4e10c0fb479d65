/**
 * haproxy.cfg of the load balancer in front of registry replicas: TLS terminated with the registry's certificate,
 * health checks on `/v2/`, retries and redispatch, TLS to each replica verified. Pure.
 */

import {
    checkAddress,
    checkHostname,
    checkIdentifier,
    checkIp,
    checkPort,
    checkRemotePath,
    checkUnique,
    fieldPath,
} from "../validation";

/** A registry replica behind the load balancer. */
export interface HaproxyReplica {
    /** Unique name of the replica (the `server` name in haproxy's logs and stats). */
    readonly name: string;
    /** IP address or hostname the load balancer reaches the replica at. */
    readonly address: string;
    /** The replica's registry port (TLS). */
    readonly port: number;
}

/** haproxy's timeouts, in whole seconds. */
export interface LoadBalancerTimeouts {
    /** Connecting to a replica (`timeout connect`). Default `5`. */
    readonly connectSeconds?: number;
    /**
     * Client inactivity (`timeout client`): no byte from the client for this long ends the connection. Long enough for
     * a client that pauses between the chunks of a large blob upload. Default `600`.
     */
    readonly clientSeconds?: number;
    /**
     * Replica inactivity (`timeout server`): a replica silent this long is given up on (then retried elsewhere if
     * the request can be, `retry-on response-timeout`). Long enough for a replica finishing a large blob (the
     * store's multipart completion). Default `600`.
     */
    readonly serverSeconds?: number;
    /** Receiving a request's headers (`timeout http-request`; the body is not limited by it). Default `30`. */
    readonly httpRequestSeconds?: number;
    /** An idle keep-alive connection (`timeout http-keep-alive`). Default `30`. */
    readonly httpKeepAliveSeconds?: number;
    /** Waiting for a free replica slot (`timeout queue`). Default `30`. */
    readonly queueSeconds?: number;
    /** A health check's answer (`timeout check`). Default `5`. */
    readonly checkSeconds?: number;
}

/** The replicas' health check on `GET /v2/` (answers 401 without credentials, 200 with auth off). */
export interface LoadBalancerHealthCheck {
    /** Seconds between checks of one replica (`inter`). Default `2`. */
    readonly intervalSeconds?: number;
    /** Failed checks in a row that take a replica out (`fall`). Default `2`. */
    readonly fall?: number;
    /** Passed checks in a row that bring it back (`rise`). Default `2`. */
    readonly rise?: number;
}

/** Where the load balancer's files are on its host (and in haproxy's container, mounted at the same path). */
export const haproxyPaths = {
    dir: "/etc/haproxy/airgap-registry",
    config: "/etc/haproxy/airgap-registry/haproxy.cfg",
    /** The registry's certificate chain followed by its key ({@link haproxyCertificatePem}); mode 0600. */
    certificate: "/etc/haproxy/airgap-registry/server.pem",
    /** The CA the replicas' certificates are verified against. */
    caFile: "/etc/haproxy/airgap-registry/ca.pem",
} as const;

/** Defaults of the haproxy config, in one place. */
export const haproxyDefaults = {
    timeouts: {
        connectSeconds: 5,
        clientSeconds: 600,
        serverSeconds: 600,
        httpRequestSeconds: 30,
        httpKeepAliveSeconds: 30,
        queueSeconds: 30,
        checkSeconds: 5,
    } satisfies Required<LoadBalancerTimeouts>,
    healthCheck: { intervalSeconds: 2, fall: 2, rise: 2 } satisfies Required<LoadBalancerHealthCheck>,
    /** Retries of a request that could not be served (`retries`); each goes to another replica (`option redispatch 1`). */
    retries: 3,
    maxconn: 4096,
} as const;

/** What the haproxy config is rendered from. */
export interface HaproxyConfigInput {
    /** Port clients connect to (TLS). */
    readonly port: number;
    /** IP address the frontend listens on. Default: every address of the host. */
    readonly bindAddress?: string;
    /**
     * DNS name each replica's certificate is verified for (SNI and `verifyhost`): the replicas serve the registry's
     * certificate, which covers the load balancer's names, so this is the registry's primary name.
     */
    readonly serverName: string;
    /** The replicas, one `server` line each, in this order. At least one. */
    readonly replicas: readonly HaproxyReplica[];
    /** Default {@link haproxyDefaults}`.timeouts`. */
    readonly timeouts?: LoadBalancerTimeouts;
    /** Default {@link haproxyDefaults}`.healthCheck`. */
    readonly healthCheck?: LoadBalancerHealthCheck;
    /** Certificate (chain + key) and CA file paths. Default {@link haproxyPaths}. */
    readonly paths?: { readonly certificate: string; readonly caFile: string };
}

function checkWholeNumber(field: string, value: unknown, min: number, max: number, unit: string): string[] {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
        return [`\`${field}\` must be a whole number of ${unit} from ${min} to ${max}, got ${JSON.stringify(value)}`];
    return [];
}

/** Validates the timeouts, naming fields under `field`. Pure. */
export function checkLoadBalancerTimeouts(field: string, timeouts: LoadBalancerTimeouts | undefined): string[] {
    if (timeouts === undefined) return [];
    if (timeouts === null || typeof timeouts !== "object") return [`\`${field}\` must be an object`];
    return Object.entries(timeouts).flatMap(([k, v]) =>
        k in haproxyDefaults.timeouts
            ? checkWholeNumber(fieldPath(field, k), v, 1, 86400, "seconds")
            : [
                  `\`${fieldPath(field, k)}\` is not a timeout (known: ${Object.keys(haproxyDefaults.timeouts).join(", ")})`,
              ],
    );
}

/** Validates the health check settings, naming fields under `field`. Pure. */
export function checkLoadBalancerHealthCheck(field: string, check: LoadBalancerHealthCheck | undefined): string[] {
    if (check === undefined) return [];
    if (check === null || typeof check !== "object") return [`\`${field}\` must be an object`];
    const problems: string[] = [];
    if (check.intervalSeconds !== undefined)
        problems.push(
            ...checkWholeNumber(fieldPath(field, "intervalSeconds"), check.intervalSeconds, 1, 3600, "seconds"),
        );
    if (check.fall !== undefined)
        problems.push(...checkWholeNumber(fieldPath(field, "fall"), check.fall, 1, 100, "checks"));
    if (check.rise !== undefined)
        problems.push(...checkWholeNumber(fieldPath(field, "rise"), check.rise, 1, 100, "checks"));
    return problems;
}

/** Validates a {@link HaproxyConfigInput}; every value that reaches the config text is checked. Pure. */
export function checkHaproxyConfigInput(input: HaproxyConfigInput): string[] {
    const problems: string[] = [...checkPort("port", input.port), ...checkHostname("serverName", input.serverName)];
    if (input.bindAddress !== undefined) problems.push(...checkIp("bindAddress", input.bindAddress));
    const replicas: readonly HaproxyReplica[] = Array.isArray(input.replicas) ? input.replicas : [];
    if (replicas.length === 0) problems.push("`replicas` needs at least one replica");
    replicas.forEach((r, i) => {
        problems.push(
            ...checkIdentifier(`replicas[${i}].name`, r?.name),
            ...checkAddress(`replicas[${i}].address`, r?.address),
            ...checkPort(`replicas[${i}].port`, r?.port),
        );
    });
    problems.push(
        ...checkUnique(
            "replicas",
            replicas.map((r) => r?.name),
            "name",
        ),
    );
    problems.push(...checkLoadBalancerTimeouts("timeouts", input.timeouts));
    problems.push(...checkLoadBalancerHealthCheck("healthCheck", input.healthCheck));
    if (input.paths !== undefined) {
        problems.push(...checkRemotePath("paths.certificate", input.paths.certificate));
        problems.push(...checkRemotePath("paths.caFile", input.paths.caFile));
    }
    return problems;
}

/** The address part of a `bind` line: empty for every address, an IPv6 address in brackets. */
function bindAddress(address: string | undefined): string {
    return address === undefined ? "" : address.includes(":") ? `[${address}]` : address;
}

/** `host:port` of a replica for a `server` line (an IPv6 address in brackets). */
function serverAddress(r: HaproxyReplica): string {
    return r.address.includes(":") ? `[${r.address}]:${r.port}` : `${r.address}:${r.port}`;
}

/**
 * The haproxy config (haproxy 2.6, Debian 12's): one TLS frontend on `port` with the registry's certificate (TLS 1.2
 * minimum, HTTP/1.1, `X-Forwarded-Proto: https` so the replicas hand out https upload URLs); one backend, round
 * robin over the replicas, each `server` with TLS verified against the CA for `serverName` and a health check
 * `GET /v2/` that counts 200 and 401 as up (a registry with auth answers 401; anything else, or no answer, is down);
 * `retries 3`, `option redispatch 1` (every retry goes to another replica, not the one that just failed) and `retry-on conn-failure
 * empty-response response-timeout` (haproxy replays only requests it still holds whole, so a large blob PATCH that
 * failed mid-stream is left to the client's retry). Long inactivity timeouts for large blob uploads. Throws when
 * the input is invalid ({@link checkHaproxyConfigInput}). Pure.
 */
export function renderHaproxyConfig(input: HaproxyConfigInput): string {
    const problems = checkHaproxyConfigInput(input);
    if (problems.length > 0) throw new Error(`invalid haproxy config input:\n  - ${problems.join("\n  - ")}`);
    const t = { ...haproxyDefaults.timeouts, ...input.timeouts };
    const hc = { ...haproxyDefaults.healthCheck, ...input.healthCheck };
    const paths = input.paths ?? haproxyPaths;
    const name = input.serverName;
    const serverTls = `check ssl verify required ca-file ${paths.caFile} verifyhost ${name} sni str(${name}) check-sni ${name}`;
    const lines = [
        "# haproxy config of the airgap-registry load balancer (rendered by airgap-registry; edits are overwritten)",
        "global",
        "    log stdout format raw local0",
        `    maxconn ${haproxyDefaults.maxconn}`,
        "    ssl-default-bind-options ssl-min-ver TLSv1.2",
        "    ssl-default-server-options ssl-min-ver TLSv1.2",
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    option httplog",
        "    option forwardfor",
        `    retries ${haproxyDefaults.retries}`,
        "    option redispatch 1",
        "    retry-on conn-failure empty-response response-timeout",
        `    timeout connect ${t.connectSeconds}s`,
        `    timeout client ${t.clientSeconds}s`,
        `    timeout server ${t.serverSeconds}s`,
        `    timeout http-request ${t.httpRequestSeconds}s`,
        `    timeout http-keep-alive ${t.httpKeepAliveSeconds}s`,
        `    timeout queue ${t.queueSeconds}s`,
        `    timeout check ${t.checkSeconds}s`,
        "",
        "frontend registry",
        `    bind ${bindAddress(input.bindAddress)}:${input.port} ssl crt ${paths.certificate} ssl-min-ver TLSv1.2 alpn http/1.1`,
        "    http-request set-header X-Forwarded-Proto https",
        "    default_backend replicas",
        "",
        "backend replicas",
        "    balance roundrobin",
        "    option httpchk GET /v2/",
        "    http-check expect status 200,401",
        `    default-server inter ${hc.intervalSeconds}s fall ${hc.fall} rise ${hc.rise}`,
        ...input.replicas.map((r) => `    server ${r.name} ${serverAddress(r)} ${serverTls}`),
    ];
    return `${lines.join("\n")}\n`;
}

/**
 * The file haproxy's `crt` reads: the certificate chain (server certificate first) followed by its private key
 * (secret: write it 0600). Pure.
 */
export function haproxyCertificatePem(chainPem: string, privateKeyPem: string): string {
    const withNewline = (s: string) => (s.endsWith("\n") ? s : `${s}\n`);
    return `${withNewline(chainPem)}${withNewline(privateKeyPem)}`;
}
