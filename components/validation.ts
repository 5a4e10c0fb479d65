/**
 * Field checkers every component's validation is made of, and the error a component throws before registering
 * anything.
 */

import * as fs from "fs";
import * as net from "net";
import * as pulumi from "@pulumi/pulumi";

/**
 * Plain-value validation shared by every component. Every checker takes the field's path and
 * returns its problems as messages that name that path (for example `clients[2].address`), `[]`
 * when the value is fine, so a component collects every problem at once and fails before it
 * registers anything. Each component checks its own Args with paths relative to them (`ssh.address`);
 * a composite passes its prefix down (`clients[2]` + `address`).
 */

/**
 * The path of `field` under `prefix`: `fieldPath("clients[2]", "address")` is `clients[2].address`; an empty prefix
 * adds nothing.
 */
export function fieldPath(prefix: string, field: string): string {
    return prefix === "" ? field : field === "" ? prefix : `${prefix}.${field}`;
}

const hostnameLabel = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** True when `value` is a syntactically valid IPv4 or IPv6 address. */
export function isIpAddress(value: string): boolean {
    return net.isIP(value) !== 0;
}

/** True when `value` is a valid DNS hostname (RFC 1123 labels, at most 253 characters). */
export function isHostname(value: string): boolean {
    if (value.length === 0 || value.length > 253) {
        return false;
    }
    // A name made only of digits and dots would be read as a (bad) IP address by clients.
    if (/^[0-9.]+$/.test(value)) {
        return false;
    }
    return value.split(".").every((label) => hostnameLabel.test(label));
}

/** An SSH or service address: an IP address or a hostname. */
export function checkAddress(field: string, value: unknown): string[] {
    if (typeof value !== "string" || value.length === 0) {
        return [`\`${field}\` is required: an IP address or hostname`];
    }
    if (!isIpAddress(value) && !isHostname(value)) {
        return [`\`${field}\` is not a valid IP address or hostname: "${value}"`];
    }
    return [];
}

/** A DNS name the registry answers to (not an IP address). */
export function checkHostname(field: string, value: unknown): string[] {
    if (typeof value !== "string" || !isHostname(value)) {
        return [`\`${field}\` is not a valid hostname: "${String(value)}"`];
    }
    return [];
}

/** An IP address the registry answers to. */
export function checkIp(field: string, value: unknown): string[] {
    if (typeof value !== "string" || !isIpAddress(value)) {
        return [`\`${field}\` is not a valid IP address: "${String(value)}"`];
    }
    return [];
}

/** A TCP port, 1..65535. */
export function checkPort(field: string, value: unknown): string[] {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) {
        return [`\`${field}\` must be a port number from 1 to 65535, got ${JSON.stringify(value)}`];
    }
    return [];
}

/** A whole number of hours greater than zero. */
export function checkHours(field: string, value: unknown): string[] {
    if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
        return [`\`${field}\` must be a whole number of hours greater than 0, got ${JSON.stringify(value)}`];
    }
    return [];
}

/** A file that must exist on the operator's machine (SSH keys, image archives). */
export function checkFileExists(field: string, value: unknown): string[] {
    if (typeof value !== "string" || value.length === 0) {
        return [`\`${field}\` must be a file path`];
    }
    try {
        if (!fs.statSync(value).isFile()) {
            return [`\`${field}\` is not a file: ${value}`];
        }
    } catch {
        return [`\`${field}\` does not exist: ${value}`];
    }
    return [];
}

/** An absolute POSIX path on a remote host, with no characters a shell would interpret. */
export function checkRemotePath(field: string, value: unknown): string[] {
    if (typeof value !== "string" || !/^\/[A-Za-z0-9._\-/]*$/.test(value) || value.includes("..")) {
        return [
            `\`${field}\` must be an absolute path of letters, digits, '.', '_', '-' and '/', got ${JSON.stringify(value)}`,
        ];
    }
    return [];
}

/** A short identifier used in remote file and container names. */
export function checkIdentifier(field: string, value: unknown): string[] {
    if (typeof value !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(value)) {
        return [
            `\`${field}\` must start with a letter or digit and use only letters, digits, '.', '_' and '-' (at most 63), got ${JSON.stringify(value)}`,
        ];
    }
    return [];
}

/**
 * Names that must be unique within a list (client names, user names): `field` is the list,
 * `key` the name's field in each item (`clients[1].name`), or "" for a list of plain names.
 */
export function checkUnique(field: string, values: readonly string[], key = ""): string[] {
    const item = (index: number) => fieldPath(`${field}[${index}]`, key);
    const seen = new Map<string, number>();
    const errors: string[] = [];
    values.forEach((value, index) => {
        const first = seen.get(value);
        if (first !== undefined) {
            errors.push(`\`${item(index)}\` repeats "${value}", already used by \`${item(first)}\``);
        } else {
            seen.set(value, index);
        }
    });
    return errors;
}

/**
 * Thrown by a component whose plain arguments are invalid, before it registers anything; lists
 * every problem found. A RunError, so the engine prints the message without a stack trace.
 */
export class InvalidArgumentsError extends pulumi.RunError {
    constructor(
        readonly component: string,
        readonly problems: readonly string[],
    ) {
        super(`invalid arguments for ${component}:\n  - ${problems.join("\n  - ")}`);
        this.name = "InvalidArgumentsError";
    }
}

/** Throws an InvalidArgumentsError when `problems` holds any message. */
export function assertValid(component: string, problems: readonly string[]): void {
    if (problems.length > 0) {
        throw new InvalidArgumentsError(component, problems);
    }
}
