/**
 * The project's HostFiles dynamic resource (components/ssh/hostFiles.ts) as the rules see it: files placed on a host
 * over SSH, with their text in the secret input `contents` (keyed by path) and scripts run there. Pure.
 */

import { objectOf, ResourceView, stringOf, unknown, Value } from "./view";

/** Type token of HostFiles: a dynamic resource registered with module "airgap-registry" and type "HostFiles". */
export const hostFilesType = "pulumi-nodejs:dynamic/airgap-registry:HostFiles";

/** Every dynamic resource's input with its serialized provider code: never data sent to a host. */
export const dynamicProviderKey = "__provider";

/** True for a HostFiles. */
export function isHostFiles(r: Pick<ResourceView, "type">): boolean {
    return r.type === hostFilesType;
}

/**
 * The paths in a HostFiles' `files` input (`[{path, mode, sha256}]`), where known. Entries or paths not known yet are
 * left out.
 */
export function hostFilePaths(r: ResourceView): string[] {
    const files = r.props.files;
    if (!Array.isArray(files)) return [];
    return files.flatMap((f) => {
        const p = stringOf(objectOf(f)?.path);
        return p === undefined ? [] : [p];
    });
}

/**
 * The text HostFiles writes at `path` (its `contents[path]`): a string, {@link unknown} when `contents` or that entry
 * is not known yet, or undefined when it is absent or not text.
 */
export function hostFileContent(r: ResourceView, path: string): string | typeof unknown | undefined {
    const contents = r.props.contents;
    if (contents === unknown) return unknown;
    const v: Value | undefined = objectOf(contents)?.[path];
    if (v === unknown) return unknown;
    return stringOf(v);
}
