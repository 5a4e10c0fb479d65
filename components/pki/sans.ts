/** The registry's SAN list and its endpoints (`name:port`), from the names and IPs clients use. Pure. */

import { isIpAddress } from "../validation";

/** The subject alternative names of a registry's server certificate. */
export interface RegistrySans {
    readonly dnsNames: string[];
    readonly ipAddresses: string[];
}

/**
 * Every DNS name and IP the registry is reached by, plus `localhost` and `127.0.0.1`
 * (the host itself and its health check connect there). Order is kept (first name first),
 * duplicates are dropped, DNS names compare case-insensitively. Pure.
 */
export function registrySans(names: readonly string[], ips: readonly string[]): RegistrySans {
    const dnsNames: string[] = [];
    const ipAddresses: string[] = [];
    for (const name of [...names, "localhost"]) {
        const lower = name.toLowerCase();
        if (!dnsNames.includes(lower)) dnsNames.push(lower);
    }
    for (const ip of [...ips, "127.0.0.1"]) {
        if (isIpAddress(ip) && !ipAddresses.includes(ip)) ipAddresses.push(ip);
    }
    return { dnsNames, ipAddresses };
}

/**
 * The `name:port` endpoints clients use, in the same order: the configured names first, then
 * the IPs (IPv6 in brackets). `localhost` and `127.0.0.1` are not client endpoints. Pure.
 */
export function registryEndpoints(names: readonly string[], ips: readonly string[], port: number): string[] {
    const out: string[] = [];
    for (const host of [...names.map((n) => n.toLowerCase()), ...ips]) {
        const endpoint = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
        if (!out.includes(endpoint)) out.push(endpoint);
    }
    return out;
}
