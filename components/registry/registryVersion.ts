/** Which distribution registry major version runs: detected from the image tag, or given; validated. Pure. */

/**
 * The distribution registry's major version: `"2"` (2.8, Debian's docker-registry, `registry:2`; end of life) or
 * `"3"` (3.x, `registry:3`). It decides where the image reads its config (`/etc/docker/registry` or
 * `/etc/distribution`) and the container's environment; the rendered config keeps the same security settings.
 */
export type RegistryVersion = "2" | "3";

/** Every version this library renders for. */
export const registryVersions: readonly RegistryVersion[] = ["2", "3"];

/** The tag of an image reference (`registry:3.1.2@sha256:…` → `3.1.2`), or undefined when it has none. Pure. */
export function imageTag(image: string): string | undefined {
    const withoutDigest = image.split("@")[0];
    const lastPart = withoutDigest.slice(withoutDigest.lastIndexOf("/") + 1);
    const colon = lastPart.indexOf(":");
    return colon < 0 ? undefined : lastPart.slice(colon + 1);
}

/**
 * The registry version an image reference's tag says: `registry:2`, `…:2.8`, `…:2.8.3` → `"2"`; `…:3`, `…:3.1.2`,
 * `…:3.1.2-alpine` → `"3"`. Undefined when the tag says nothing (`:latest`, no tag, only a digest) or names a
 * major version this library does not know. Pure.
 */
export function registryVersionFromImage(image: string): RegistryVersion | undefined {
    const tag = imageTag(image);
    const major = tag === undefined ? undefined : /^v?(\d+)(?:[.-]|$)/.exec(tag)?.[1];
    return registryVersions.find((v) => v === major);
}

/** Problems of a given `registryVersion` value (`"2"` or `"3"`, a string), naming `field`. Pure. */
export function checkRegistryVersion(field: string, value: unknown): string[] {
    if (value === undefined || registryVersions.some((v) => v === value)) return [];
    const hint = typeof value === "number" ? ` (a number; write it as the string "${value}")` : "";
    return [
        `\`${field}\` must be ${registryVersions.map((v) => JSON.stringify(v)).join(" or ")}, got ${JSON.stringify(value)}${hint}`,
    ];
}

/**
 * The registry version to run `image` with: `given` when set (and it agrees with a tag that says a version), else
 * what the tag says. `problems` name `field` (and `imageField`) when the version is unknown, contradicts the tag, or
 * cannot be told from the tag. Pure.
 */
export function resolveRegistryVersion(
    field: string,
    given: unknown,
    imageField: string,
    image: string,
): { version?: RegistryVersion; problems: string[] } {
    const problems = checkRegistryVersion(field, given);
    if (problems.length > 0) return { problems };
    const detected = registryVersionFromImage(image);
    if (given !== undefined) {
        const version = given as RegistryVersion;
        if (detected !== undefined && detected !== version) {
            return {
                problems: [
                    `\`${field}\` is "${version}" but ${imageField} ${JSON.stringify(image)} is tagged as distribution ` +
                        `${detected}: the config would be mounted where that image does not read it; fix one of them`,
                ],
            };
        }
        return { version, problems: [] };
    }
    if (detected !== undefined) return { version: detected, problems: [] };
    return {
        problems: [
            `\`${field}\` is required: the tag of ${imageField} ${JSON.stringify(image)} does not say which ` +
                `distribution registry it is; set it to "2" (2.8) or "3" (3.x)`,
        ],
    };
}
