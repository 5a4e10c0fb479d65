/** Rule `storage-kept-on-destroy`: destroying the stack keeps the registry's storage unless the team chose otherwise. Pure. */

import { hostFilePaths, isHostFiles } from "./hostFiles";
import { describe, ResourceView, stringOf, stringsIn, Violation } from "./view";

/** `rm -r…`/`rm -…r…` of `<dir>/data`, the dir quoted or not: the registry storage directory HostPreparation creates. */
const removesData = /\brm\s+(?:-[a-zA-Z]*[rR][a-zA-Z]*\s+)+(?:'([^']*)'|"([^"]*)"|(\S+?))\/data(?=[\s;&|'"]|$)/m;

const keepIt = "keep it, or choose this explicitly with the policy config allowStorageRemovalOnDestroy: true";

/** The `<dir>` of the first `rm -r <dir>/data` in a script, or undefined. */
function removedDataDir(script: string): string | undefined {
    const m = removesData.exec(script);
    return m === null ? undefined : (m[1] ?? m[2] ?? m[3]);
}

function commandProblems(r: ResourceView): string[] {
    const del = stringOf(r.props.delete) ?? "";
    const create = stringOf(r.props.create) ?? "";
    const dir = removedDataDir(del);
    if (dir === undefined) return [];
    if (!create.includes(`${dir}/data`) && !create.includes(`${dir}'/data`) && !create.includes(`${dir}"/data`))
        return [];
    return [
        `${describe(r)}: \`delete\` removes the registry storage ${dir}/data on destroy ` +
            `(stack config \`host.removeDataOnDestroy: true\`); ${keepIt}`,
    ];
}

/**
 * A HostFiles runs `onChange` after its delete (and after every write): one that lists `<dir>/data` among its
 * `directories` (or places a file in it) and whose `onChange` removes it wipes the storage on destroy.
 */
function hostFilesProblems(r: ResourceView): string[] {
    const dir = removedDataDir(stringOf(r.props.onChange) ?? "");
    if (dir === undefined) return [];
    const data = `${dir}/data`;
    const owned = [...stringsIn(r.props.directories), ...hostFilePaths(r)].some(
        (p) => p === data || p.startsWith(`${data}/`),
    );
    if (!owned) return [];
    return [
        `${describe(r)}: \`onChange\` removes the registry storage ${data}, and it runs after delete, so on destroy; ${keepIt}`,
    ];
}

/**
 * Findings for a command whose `delete` removes a `data` directory that its `create` made (`mkdir -p <dir>/data`):
 * HostPreparation's `<name>-data-dir` with `removeDataOnDestroy`; or a HostFiles whose `onChange` (run after its
 * delete) removes the `data` directory it lists. None when `allowed` (the policy config's explicit choice).
 */
export function storageKeptOnDestroy(r: ResourceView, allowed: boolean): Violation[] {
    if (allowed) return [];
    const problems =
        r.type === "command:remote:Command" ? commandProblems(r) : isHostFiles(r) ? hostFilesProblems(r) : [];
    return problems.map((message) => ({ urn: r.urn, message }));
}
