/** Rule `registry-auth-and-tls`: the registry's config.yml turns on auth and TLS 1.2 or newer. Pure. */

import * as YAML from "yaml";
import { hostFileContent, hostFilePaths, isHostFiles } from "./hostFiles";
import { describe, ResourceView, stringOf, unknown, Violation } from "./view";

/** TLS versions a registry may take as its minimum. */
export const allowedMinimumTls = ["tls1.2", "tls1.3"];

/** The registry's config.yml among a HostFiles' paths: `<dataDir>/config/config.yml`. */
const configPath = /(^|\/)config\/config\.yml$/;

/** One config.yml a resource writes: the input that holds its text (for messages) and the text (or unknown). */
export interface RegistryConfigText {
    /** The input, as messages name it: `stdin`, or `contents["<path>"]`. */
    readonly field: string;
    /** Where the text is among the inputs: `["stdin"]`, or `["contents", "<path>"]`. */
    readonly at: readonly string[];
    /** The text, {@link unknown} when not known yet, undefined when absent or not text. */
    readonly text: string | typeof unknown | undefined;
}

/** A command that writes the registry's `config.yml` from its stdin (as RegistryContainer's `<name>-config` was). */
function commandWritesRegistryConfig(r: ResourceView): boolean {
    const create = stringOf(r.props.create) ?? "";
    return r.type === "command:remote:Command" && /\bconfig\.yml\b/.test(create) && r.props.stdin !== undefined;
}

/**
 * The registry config.yml texts a resource writes: a command's stdin (its create writes config.yml), or each file of
 * a HostFiles at `…/config/config.yml` (RegistryContainer's `<name>-config`) with its text in `contents[path]`.
 */
export function registryConfigsOf(r: ResourceView): RegistryConfigText[] {
    if (commandWritesRegistryConfig(r)) {
        const stdin = r.props.stdin;
        return [{ field: "stdin", at: ["stdin"], text: stdin === unknown ? unknown : stringOf(stdin) }];
    }
    if (isHostFiles(r)) {
        // A file whose text is absent from `contents` (nothing to judge; the provider could not write it either) is
        // left out, as a command without stdin is.
        return hostFilePaths(r)
            .filter((p) => configPath.test(p))
            .map((p): RegistryConfigText => ({
                field: `contents[${JSON.stringify(p)}]`,
                at: ["contents", p],
                text: hostFileContent(r, p),
            }))
            .filter((c) => c.text !== undefined);
    }
    return [];
}

/** A resource that writes the registry's `config.yml` (a command from its stdin, or a HostFiles). */
export function writesRegistryConfig(r: ResourceView): boolean {
    return registryConfigsOf(r).length > 0;
}

/** True for a config.yml writer whose text is not known yet (a fresh preview): the rule cannot judge it now. */
export function registryConfigNotKnownYet(r: ResourceView): boolean {
    return registryConfigsOf(r).some((c) => c.text === unknown);
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
 * Findings for a resource that writes config.yml: its text (a command's stdin, a HostFiles' `contents[path]`)
 * parsed as YAML must have htpasswd (or token) auth and TLS with a minimum of 1.2. Not checked while the text is
 * unknown (a fresh preview: it holds the random http secret); `pulumi up` checks it before the resource is created,
 * and every later preview sees it.
 */
export function registryAuthAndTls(r: ResourceView): Violation[] {
    return registryConfigsOf(r).flatMap(({ field, text }) => {
        if (text === unknown) return [];
        let doc: unknown;
        try {
            doc = text === undefined ? undefined : YAML.parse(text);
        } catch {
            doc = undefined;
        }
        const isMapping = doc !== null && typeof doc === "object" && !Array.isArray(doc);
        const problems = isMapping ? registryConfigProblems(doc) : ["is not a YAML mapping"];
        return problems.map((p) => ({
            urn: r.urn,
            message: `${describe(r)}: \`${field}\` (the registry's config.yml) ${p}`,
        }));
    });
}
