/** Where an up's time goes, from its `--json` engine events (whole-second timestamps): each step's span. Pure. */

import { engineEvents } from "../test/support/stack";

/** One resource step of an update: when it started and ended (seconds from the update's first event). */
export interface StepSpan {
    readonly resource: string;
    readonly op: string;
    readonly start: number;
    readonly end: number;
}

/** The same step on every client (`trust-light-07-os-trust` -> `trust-*-os-trust`). Pure. */
export function stepKind(resource: string): string {
    return resource.replace(/light-\d+/g, "*");
}

/** True for the stack and the project's components (`airgap-registry:<module>:<Component>`). */
function isComponent(urn: string): boolean {
    const type = urn.split("::")[2]?.split("$").pop() ?? "";
    return type === "pulumi:pulumi:Stack" || type.startsWith("airgap-registry:");
}

/** Spans of every resource step in `up --json` output (a step with no outputs event ends with the update). Pure. */
export function stepSpans(output: string): StepSpan[] {
    type Meta = { op: string; urn: string; type?: string };
    type Event = { timestamp?: number; resourcePreEvent?: { metadata: Meta }; resOutputsEvent?: { metadata: Meta } };
    const events = engineEvents<Event>(output).filter((e) => typeof e.timestamp === "number");
    if (events.length === 0) return [];
    const times = events.map((e) => e.timestamp as number);
    const t0 = Math.min(...times);
    const last = Math.max(...times) - t0;
    const open = new Map<string, { op: string; start: number }>();
    const spans: StepSpan[] = [];
    const name = (urn: string) => urn.split("::").slice(3).join("::");
    for (const e of events) {
        const t = (e.timestamp as number) - t0;
        // Components (and the stack) span their children: only the steps that do work are counted.
        if (e.resourcePreEvent && isComponent(e.resourcePreEvent.metadata.urn)) continue;
        if (e.resourcePreEvent && e.resourcePreEvent.metadata.op !== "same") {
            open.set(e.resourcePreEvent.metadata.urn, { op: e.resourcePreEvent.metadata.op, start: t });
        } else if (e.resOutputsEvent) {
            const o = open.get(e.resOutputsEvent.metadata.urn);
            if (o !== undefined) {
                spans.push({ resource: name(e.resOutputsEvent.metadata.urn), op: o.op, start: o.start, end: t });
                open.delete(e.resOutputsEvent.metadata.urn);
            }
        }
    }
    for (const [urn, o] of open) spans.push({ resource: name(urn), op: o.op, start: o.start, end: last });
    return spans;
}

/** Per step kind: how many, their mean and longest duration, and when the last of them ended. Pure. */
export function stepKinds(
    spans: readonly StepSpan[],
): Array<{ kind: string; count: number; meanSeconds: number; maxSeconds: number; lastEnd: number }> {
    const byKind = new Map<string, StepSpan[]>();
    for (const s of spans) byKind.set(stepKind(s.resource), [...(byKind.get(stepKind(s.resource)) ?? []), s]);
    return [...byKind.entries()]
        .map(([kind, ss]) => ({
            kind,
            count: ss.length,
            meanSeconds: Number((ss.reduce((a, s) => a + s.end - s.start, 0) / ss.length).toFixed(1)),
            maxSeconds: Math.max(...ss.map((s) => s.end - s.start)),
            lastEnd: Math.max(...ss.map((s) => s.end)),
        }))
        .sort((a, b) => b.lastEnd - a.lastEnd || b.maxSeconds - a.maxSeconds);
}
