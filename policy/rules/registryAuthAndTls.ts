/** Rule `registry-auth-and-tls`: the registry's config.yml turns on auth and TLS 1.2 or newer. Pure. */

import * as YAML from "yaml";
import { describe, ResourceView, stringOf, unknown, Violation } from "./view";

/** TLS versions a registry may take as its minimum. */
export const allowedMinimumTls = ["tls1.2", "tls1.3"];

/** A command that writes the registry's `config.yml` from its stdin (as RegistryContainer's `<name>-config`). */
export function writesRegistryConfig(r: ResourceView): boolean {
    const create = stringOf(r.props.create) ?? "";
    return r.type === "command:remote:Command" && /\bconfig\.yml\b/.test(create) && r.props.stdin !== undefined;
}

/** True for a config.yml command whose text is not known yet (a fresh preview): the rule cannot judge it now. */
export function registryConfigNotKnownYet(r: ResourceView): boolean {
    return writesRegistryConfig(r) && r.props.stdin === unknown;
}

/** What is wrong with a distribution registry config document (auth, TLS, minimum TLS version). */
export function registryConfigProblems(doc: unknown): string[] {
    const config = (doc !== null && typeof doc === "object" ? doc : {}) as Record<string, unknown>;
    const problems: string[] = [];
    const auth = config.auth as Record<string, unknown> | undefined;
    if (auth === undefined || auth === null || (auth.htpasswd === undefined && auth.token === undefined)) {
        problems.push("has no `auth.htpasswd` (or `auth.token`): anyone who reaches the registry could push and pull");
    }
    const http = (config.http ?? {}) as Record<string, unknown>;
    const tls = http.tls as Record<string, unknown> | undefined;
    if (tls === undefined || tls === null || typeof tls.certificate !== "string") {
        problems.push("has no `http.tls.certificate`: the registry would serve plain HTTP");
    } else if (!allowedMinimumTls.includes(String(tls.minimumtls))) {
        problems.push(
            `has \`http.tls.minimumtls\` ${JSON.stringify(tls.minimumtls ?? null)}: it must be one of ${allowedMinimumTls.join(", ")}`,
        );
    }
    return problems;
}

/**
 * Findings for a command that writes config.yml: its stdin parsed as YAML must have htpasswd (or token) auth and TLS
 * with a minimum of 1.2. Not checked while the text is unknown (a fresh preview: it holds the random http secret);
 * `pulumi up` checks it before the command runs, and every later preview sees it.
 */
export function registryAuthAndTls(r: ResourceView): Violation[] {
    if (!writesRegistryConfig(r) || r.props.stdin === unknown) return [];
    const text = stringOf(r.props.stdin);
    let doc: unknown;
    try {
        doc = text === undefined ? undefined : YAML.parse(text);
    } catch {
        doc = undefined;
    }
    const isMapping = doc !== null && typeof doc === "object" && !Array.isArray(doc);
    const problems = isMapping ? registryConfigProblems(doc) : ["is not a YAML mapping"];
    return problems.map((p) => ({ urn: r.urn, message: `${describe(r)}: \`stdin\` (the registry's config.yml) ${p}` }));
}
