/**
 * The plain view of a resource that every rule reads: its type, name, URN, parent, inputs (with values that are not
 * known yet, e.g. outputs of resources a preview has not created, as {@link unknown}) and the resources each input
 * depends on. Pure data; `policy/index.ts` builds it from what the Pulumi engine sends a policy pack.
 */

/** Marks a value that cannot be known yet (an output of a resource not created yet) or is opaque (an asset). */
export const unknown: unique symbol = Symbol("unknown");

/** An input value as a rule sees it: JSON-like, secrets already in the clear, unknown values marked. */
export type Value = string | number | boolean | null | typeof unknown | Value[] | { [key: string]: Value };

/** One resource of a preview or update, as a rule sees it. */
export interface ResourceView {
    /** Type token, e.g. `command:remote:Command`, `tls:index/locallySignedCert:LocallySignedCert`. */
    readonly type: string;
    /** The resource's name (the last part of its URN). */
    readonly name: string;
    /** Its URN. */
    readonly urn: string;
    /** The URN of its parent, if any. */
    readonly parent?: string;
    /** Its inputs (top-level keys; an absent input is absent). */
    readonly props: Readonly<Record<string, Value>>;
    /** For each input, the URNs of the resources whose outputs it was made from. Empty when not known. */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
}

/** A rule's finding: the message (naming the resource and the field) and the resource it is about. */
export interface Violation {
    readonly message: string;
    readonly urn?: string;
}

/** `<type> "<name>"`, how every message names a resource. */
export function describe(r: Pick<ResourceView, "type" | "name">): string {
    return `${r.type} "${r.name}"`;
}

/** The value as a string, or undefined when it is not one (absent, unknown, another type). */
export function stringOf(v: Value | undefined): string | undefined {
    return typeof v === "string" ? v : undefined;
}

/** The value as an object, or undefined when it is not one. */
export function objectOf(v: Value | undefined): { [key: string]: Value } | undefined {
    return v !== null && typeof v === "object" && !Array.isArray(v) ? v : undefined;
}

/** Every string inside a value (nested objects and arrays included), for content checks. */
export function stringsIn(v: Value | undefined): string[] {
    if (typeof v === "string") return [v];
    if (Array.isArray(v)) return v.flatMap(stringsIn);
    const o = objectOf(v);
    return o === undefined ? [] : Object.values(o).flatMap(stringsIn);
}

/** True when the value or anything inside it is not known yet. */
export function hasUnknown(v: Value | undefined): boolean {
    if (v === unknown) return true;
    if (Array.isArray(v)) return v.some(hasUnknown);
    const o = objectOf(v);
    return o !== undefined && Object.values(o).some(hasUnknown);
}
