/** Rule `ca-key-stays-local`: the CA's private key is never sent to a host. Pure. */

import { dynamicProviderKey, hostFilesType } from "./hostFiles";
import { describe, ResourceView, stringOf, stringsIn, Violation } from "./view";

/**
 * Resources that put data on a host: a command (stdin, scripts, environment), a copy, a container, a HostFiles (the
 * files' text in `contents`, its scripts).
 */
export const hostWritingTypes = [
    "command:remote:Command",
    "command:remote:CopyToRemote",
    "docker:index/container:Container",
    hostFilesType,
];

/** What identifies the CA's private key in a stack. */
export interface CaKeys {
    /** URNs of the resources that produce a CA private key (the `tls:index/privateKey` behind a CA). */
    readonly resources: ReadonlySet<string>;
    /** The CA private keys' PEM text, where known (a generated key after its first up; an existing CA's key). */
    readonly pems: readonly string[];
}

/**
 * The CA keys of a stack: whatever signs a certificate (`caPrivateKeyPem` of every `tls:index/locallySignedCert:LocallySignedCert`) and
 * the key of every `tls:index/selfSignedCert` with `isCaCertificate` (its `privateKeyPem`): the resources those inputs
 * come from and their text when it is known.
 */
export function caKeysOf(resources: readonly ResourceView[]): CaKeys {
    const inputs: Array<[ResourceView, string]> = [
        ...resources
            .filter((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert")
            .map((r): [ResourceView, string] => [r, "caPrivateKeyPem"]),
        ...resources
            .filter((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert" && r.props.isCaCertificate === true)
            .map((r): [ResourceView, string] => [r, "privateKeyPem"]),
    ];
    const keyResources = new Set<string>();
    const pems = new Set<string>();
    for (const [r, field] of inputs) {
        for (const urn of r.propertyDependencies[field] ?? []) {
            if (resources.some((k) => k.urn === urn && k.type === "tls:index/privateKey:PrivateKey"))
                keyResources.add(urn);
        }
        const pem = stringOf(r.props[field]);
        if (pem !== undefined && pem.trim() !== "") pems.add(pem);
    }
    return { resources: keyResources, pems: [...pems] };
}

/** The base64 body of a PEM (no armour lines, no line breaks): what betrays the key in any re-wrapped form. */
export function pemBody(pem: string): string {
    return pem
        .split("\n")
        .filter((l) => !l.startsWith("-----"))
        .join("")
        .replace(/\s+/g, "");
}

/** True when `text` holds the key: its PEM body, whatever the line breaks. */
function carries(text: string, pem: string): boolean {
    const body = pemBody(pem);
    return body.length >= 64 && text.replace(/\s+/g, "").includes(body);
}

/**
 * Inputs made from the data without carrying it: HostFiles' `files` holds each file's path, mode and the SHA-256 of
 * its text (so it depends on whatever the text is made from); the text itself is in `contents`.
 */
const digestOnlyFields: Readonly<Record<string, readonly string[]>> = { [hostFilesType]: ["files"] };

/**
 * Findings for every host-writing resource with an input that is made from a CA key resource (its property
 * dependencies) or whose known text holds a CA key. What this cannot see: a key that reaches an input through
 * another resource first (e.g. a file written locally and copied by path), or a key in an input not known yet.
 */
export function caKeyStaysLocal(resources: readonly ResourceView[]): Violation[] {
    const keys = caKeysOf(resources);
    const violations: Violation[] = [];
    for (const r of resources.filter((x) => hostWritingTypes.includes(x.type))) {
        const fields = new Set([...Object.keys(r.props), ...Object.keys(r.propertyDependencies)]);
        // A dynamic resource's serialized provider code runs on the operator's machine; it is not sent to the host.
        fields.delete(dynamicProviderKey);
        for (const field of [...fields].sort()) {
            const fromKey = (digestOnlyFields[r.type] ?? []).includes(field)
                ? undefined
                : (r.propertyDependencies[field] ?? []).find((urn) => keys.resources.has(urn));
            const inText = keys.pems.some((pem) => stringsIn(r.props[field]).some((s) => carries(s, pem)));
            if (fromKey === undefined && !inText) continue;
            const keyResource = resources.find((k) => k.urn === fromKey);
            const how =
                keyResource !== undefined
                    ? `is made from the CA private key (${describe(keyResource)})`
                    : "holds the CA private key";
            violations.push({
                urn: r.urn,
                message: `${describe(r)}: \`${field}\` ${how}: the CA's private key must never be written to a host`,
            });
        }
    }
    return violations;
}
