/** Rule `storage-kept-on-destroy`: destroying the stack keeps the registry's storage unless the team chose otherwise. Pure. */

import { describe, ResourceView, stringOf, Violation } from "./view";

/** `rm -r…`/`rm -…r…` of `<dir>/data`, the dir quoted or not: the registry storage directory HostPreparation creates. */
const removesData = /\brm\s+(?:-[a-zA-Z]*[rR][a-zA-Z]*\s+)+(?:'([^']*)'|"([^"]*)"|(\S+?))\/data(?=[\s;&|'"]|$)/m;

/**
 * Findings for a command whose `delete` removes a `data` directory that its `create` made (`mkdir -p <dir>/data`):
 * HostPreparation's `<name>-data-dir` with `removeDataOnDestroy`. None when `allowed` (the policy config's explicit
 * choice).
 */
export function storageKeptOnDestroy(r: ResourceView, allowed: boolean): Violation[] {
    if (allowed || r.type !== "command:remote:Command") return [];
    const del = stringOf(r.props.delete) ?? "";
    const create = stringOf(r.props.create) ?? "";
    const m = removesData.exec(del);
    if (m === null) return [];
    const dir = m[1] ?? m[2] ?? m[3];
    if (!create.includes(`${dir}/data`) && !create.includes(`${dir}'/data`) && !create.includes(`${dir}"/data`))
        return [];
    return [
        {
            urn: r.urn,
            message:
                `${describe(r)}: \`delete\` removes the registry storage ${dir}/data on destroy ` +
                "(stack config `host.removeDataOnDestroy: true`); keep it, or choose this explicitly with the policy config allowStorageRemovalOnDestroy: true",
        },
    ];
}
