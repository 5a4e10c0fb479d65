/**
 * Turns what the Pulumi engine sends a policy (`PolicyResource`, `ResourceValidationArgs`) into the plain
 * {@link ResourceView} the rules read. The policy SDK's props throw on a value that is not known yet; here each such
 * value becomes {@link unknown}, so one unknown input does not keep a rule from checking the rest.
 */

import { PolicyResource, ResourceValidationArgs } from "@pulumi/policy";
import { ResourceView, unknown, Value } from "./rules/view";

/** A plain copy of a policy SDK props value; unknown values (the SDK throws on reading them) and assets become `unknown`. */
export function plainValue(read: () => unknown): Value {
    let v: unknown;
    try {
        v = read();
    } catch {
        return unknown;
    }
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
    if (v === undefined) return null;
    if (Array.isArray(v)) return Object.keys(v).map((i) => plainValue(() => (v as unknown[])[Number(i)]));
    if (typeof v === "object") {
        const proto = Object.getPrototypeOf(v) as unknown;
        // Assets and archives (class instances with promised fields) are opaque to the rules.
        if (proto !== Object.prototype && proto !== null) return unknown;
        const out: { [key: string]: Value } = {};
        for (const k of Object.keys(v)) out[k] = plainValue(() => (v as Record<string, unknown>)[k]);
        return out;
    }
    return unknown;
}

function plainProps(props: Record<string, unknown>): Record<string, Value> {
    const out: Record<string, Value> = {};
    for (const k of Object.keys(props)) out[k] = plainValue(() => props[k]);
    return out;
}

/** The view of a resource under `validateResource` (no dependencies known there). */
export function viewOfArgs(args: ResourceValidationArgs): ResourceView {
    return {
        type: args.type,
        name: args.name,
        urn: args.urn,
        props: plainProps(args.props),
        propertyDependencies: {},
    };
}

/** The view of a resource under `validateStack`, with its parent and property dependencies. */
export function viewOfStackResource(r: PolicyResource): ResourceView {
    const deps: Record<string, string[]> = {};
    for (const [k, rs] of Object.entries(r.propertyDependencies ?? {})) deps[k] = rs.map((d) => d.urn);
    return {
        type: r.type,
        name: r.name,
        urn: r.urn,
        ...(r.parent !== undefined ? { parent: r.parent.urn } : {}),
        props: plainProps(r.props),
        propertyDependencies: deps,
    };
}
