/**
 * CA rotation as ordinary `pulumi up`s: which CA signs the server certificate and which CAs clients trust at each
 * step, the record an up leaves behind, and the check that a step does not skip the one before it. Pure.
 */

import * as crypto from "crypto";
import { checkIdentifier, fieldPath } from "../validation";
import { CertificateAuthorityArgs, certificateAuthorityDefaults } from "./certificateAuthority";
import { privateKeyInputs } from "./keyAlgorithm";
import { tlsSubject } from "./subject";

/**
 * A step of a CA rotation:
 * - `trust-next`: the next CA exists and every client trusts both CAs; the current CA still signs the server
 *   certificate;
 * - `serve-next`: the server certificate is re-issued by the next CA (the registry rolls); clients still trust both.
 *
 * The third step, retiring the old CA, is the steady state again: the next CA's settings (with its `id`) move to
 * `ca` and `caRotation` is removed, so clients trust only it and the old CA's resources are deleted.
 */
export type CaRotationStep = "trust-next" | "serve-next";

/** The rotation steps in order, for validation and messages. */
export const caRotationSteps: readonly CaRotationStep[] = ["trust-next", "serve-next"];

/** A CA of a site: its settings and the id that names its resources across a rotation. */
export type SiteCaArgs = CertificateAuthorityArgs & {
    /**
     * Names this CA's resources (`<name>-ca` for `"ca"`, else `<name>-ca-<id>`), so the next CA of a rotation keeps
     * its resources when it moves to `ca`. Default `"ca"`.
     */
    readonly id?: string;
};

/** A CA rotation in progress. */
export interface CaRotationArgs {
    /** Which step the rotation is at. */
    readonly step: CaRotationStep;
    /** The CA rotated to: generated or `existing`, with an `id` other than the current CA's. */
    readonly next: SiteCaArgs & { readonly id: string };
}

/** The default id of a site's CA (the one its resources had before CA ids existed). */
export const defaultCaId = "ca";

/** One CA in a {@link CaState}: its id and a digest of its settings (another digest is another CA). */
export interface CaStateEntry {
    readonly id: string;
    readonly digest: string;
}

/**
 * What a completed up left on the site: which CA signs the server certificate and which CAs every client trusts.
 * PrivateRegistry exports it as `caState`; the next up reads it back to check the order of rotation steps.
 */
export interface CaState {
    /** The rotation step, or `"none"` outside a rotation. */
    readonly step: CaRotationStep | "none";
    /** Id of the CA that signs the server certificate. */
    readonly serving: string;
    /** The CAs every client trusts. */
    readonly trusted: readonly CaStateEntry[];
}

/** Component name of the CA with `id` under a PrivateRegistry named `name`. Pure. */
export function caResourceName(name: string, id: string): string {
    return id === defaultCaId ? `${name}-ca` : `${name}-ca-${id}`;
}

/**
 * A digest of what makes a CA this CA: the effective key, subject and validity of a generated one (defaults filled
 * in, so writing a default out changes nothing), or the certificate of an existing one. `undefined` when an existing
 * CA's certificate is not a plain string (then its settings cannot be compared). Pure.
 */
export function caSettingsDigest(args: CertificateAuthorityArgs): string | undefined {
    const hash = (text: string) => crypto.createHash("sha256").update(text).digest("hex");
    if (args.existing !== undefined) {
        return typeof args.existing.certPem === "string" ? `existing:${hash(args.existing.certPem.trim())}` : undefined;
    }
    const settings = {
        key: privateKeyInputs(args, certificateAuthorityDefaults),
        subject: tlsSubject(args.subject, certificateAuthorityDefaults.commonName),
        validityHours: args.validityHours ?? certificateAuthorityDefaults.validityHours,
    };
    return `generated:${hash(JSON.stringify(settings))}`;
}

/** The CAs of one up: the current `ca` and, during a rotation, the next. */
export interface CaPlan {
    readonly step: CaRotationStep | "none";
    readonly current: SiteCaArgs;
    readonly next?: SiteCaArgs & { readonly id: string };
}

/** Id of a site CA (its `id` or the default). Pure. */
export function caId(ca: SiteCaArgs | undefined): string {
    return ca?.id ?? defaultCaId;
}

/** The CA that signs the server certificate at this step. Pure. */
export function servingCa(plan: CaPlan): SiteCaArgs {
    return plan.step === "serve-next" && plan.next !== undefined ? plan.next : plan.current;
}

/**
 * The CAs clients trust at this step: the current, then the next during a rotation. The same order at both steps,
 * so serving from the next CA leaves every client's files as they are. Pure.
 */
export function trustedCas(plan: CaPlan): SiteCaArgs[] {
    return plan.next === undefined ? [plan.current] : [plan.current, plan.next];
}

/**
 * Digest of a CA whose settings cannot be compared: an existing CA given as an Output, or a CA recorded before CA
 * states existed.
 */
export const incomparableDigests: readonly string[] = ["existing", "legacy"];

/** The state a stack deployed before CA states existed left: its one CA, id `"ca"`, settings unknown. */
export const legacyCaState: CaState = {
    step: "none",
    serving: defaultCaId,
    trusted: [{ id: defaultCaId, digest: "legacy" }],
};

/** The {@link CaState} this plan leaves behind (digests of existing CAs given as Outputs read `"existing"`). Pure. */
export function caStateOf(plan: CaPlan): CaState {
    return {
        step: plan.step,
        serving: caId(servingCa(plan)),
        trusted: trustedCas(plan).map((ca) => ({ id: caId(ca), digest: caSettingsDigest(ca) ?? "existing" })),
    };
}

/** Validates `caRotation` (step, next id) against the current `ca`; messages name the fields. Pure. */
export function checkCaRotationArgs(
    field: string,
    rotation: CaRotationArgs | undefined,
    current: SiteCaArgs,
): string[] {
    const problems: string[] = [];
    if (current?.id !== undefined) problems.push(...checkIdentifier("ca.id", current.id));
    if (rotation === undefined) return problems;
    if (rotation === null || typeof rotation !== "object") return [`\`${field}\` must be an object (step, next)`];
    if (!caRotationSteps.includes(rotation.step)) {
        problems.push(
            `\`${fieldPath(field, "step")}\` must be ${caRotationSteps.map((s) => `"${s}"`).join(" or ")}, got ${JSON.stringify(rotation.step)} (the old CA is retired by moving \`${fieldPath(field, "next")}\` to \`ca\` and removing \`${field}\`)`,
        );
    }
    if (rotation.next === undefined || rotation.next === null || typeof rotation.next !== "object") {
        problems.push(`\`${fieldPath(field, "next")}\` is required: the CA to rotate to (with an \`id\`)`);
        return problems;
    }
    if (rotation.next.id === undefined) {
        problems.push(
            `\`${fieldPath(field, "next.id")}\` is required: it names the next CA's resources, which it keeps when it moves to \`ca\``,
        );
    } else {
        problems.push(...checkIdentifier(fieldPath(field, "next.id"), rotation.next.id));
        if (rotation.next.id === caId(current)) {
            problems.push(
                `\`${fieldPath(field, "next.id")}\` is "${rotation.next.id}", the id of the current \`ca\`: the next CA needs an id of its own`,
            );
        }
    }
    return problems;
}

function ids(entries: readonly CaStateEntry[]): string {
    return entries.map((e) => `"${e.id}"`).join(", ");
}

/**
 * Checks that this up's plan follows from what the last up left (`previous`), so no client ever loses the registry:
 * the CA that signs the server certificate is one every client already trusts, the CA the registry still serves is
 * not retired, and a CA id the clients trust keeps its settings. `rotationField` names the rotation's config field.
 * Returns one message per problem, naming the field to change and the step to run instead. Pure.
 */
export function checkCaRotationOrder(
    previous: CaState | undefined,
    plan: CaPlan,
    rotationField = "caRotation",
): string[] {
    if (previous === undefined || previous === null || !Array.isArray(previous.trusted)) return [];
    const trustedBefore: readonly CaStateEntry[] = previous.trusted;
    const problems: string[] = [];
    const state = caStateOf(plan);
    const last = `the last up was at step "${previous.step}", with clients trusting ${ids(trustedBefore)}`;
    const fieldOf = (id: string) =>
        plan.next !== undefined && caId(plan.next) === id ? `${rotationField}.next` : "ca";

    for (const entry of state.trusted) {
        const before = trustedBefore.find((p) => p.id === entry.id);
        const comparable =
            !incomparableDigests.includes(entry.digest) && !incomparableDigests.includes(before?.digest ?? "");
        if (before !== undefined && comparable && before.digest !== entry.digest) {
            problems.push(
                `\`${fieldOf(entry.id)}\` (id "${entry.id}") has other settings than the CA of that id the clients trust: another key or certificate is a new CA, which would cut every client off in one up. Restore its settings, or give it a new \`id\` and rotate to it with \`${rotationField}\``,
            );
        }
    }
    if (!trustedBefore.some((p) => p.id === state.serving) && previous.serving !== state.serving) {
        problems.push(
            plan.step === "serve-next"
                ? `\`${rotationField}.step\` is "serve-next" but the clients do not trust CA "${state.serving}" yet (${last}): run \`${rotationField}.step: trust-next\` first`
                : `\`ca.id\` is "${state.serving}", a CA the clients do not trust yet (${last}): serving it in one up would cut every client off; rotate to it with \`${rotationField}\` (step trust-next, then serve-next, then move it to \`ca\`)`,
        );
    }
    if (!state.trusted.some((e) => e.id === previous.serving)) {
        const what = `this up retires CA "${previous.serving}" (\`ca.id\` is "${caId(plan.current)}"${plan.next === undefined ? ` and \`${rotationField}\` is unset` : ""}) while the registry still serves a certificate it signed (${last})`;
        problems.push(
            previous.step === "serve-next"
                ? `${what}: to finish the rotation, move \`${rotationField}.next\` (with its id) to \`ca\`; to give it up, set \`${rotationField}.step\` back to trust-next first`
                : `${what}: run \`${rotationField}.step: serve-next\` first`,
        );
    }
    return problems;
}

/** The PEM bundle clients trust: each CA certificate, newline-terminated, in order. Pure. */
export function trustBundle(pems: readonly string[]): string {
    return pems.map((p) => (p.endsWith("\n") ? p : `${p}\n`)).join("");
}
