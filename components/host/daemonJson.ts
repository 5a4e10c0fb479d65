/** daemon.json settings and their merge into what a host already has. Pure. */

/** The daemon.json keys HostPreparation manages. Every field is optional; unset fields are left alone. */
export interface DaemonSettings {
    /** `live-restore`: keep containers running while dockerd restarts. Default `true`. */
    readonly liveRestore?: boolean;
    /** `log-driver`. Default `"json-file"`. */
    readonly logDriver?: string;
    /** `log-opts` merged into the existing ones. Default `{ "max-size": "10m", "max-file": "3" }`. */
    readonly logOpts?: Readonly<Record<string, string>>;
    /** `max-concurrent-downloads`. Default: unchanged. */
    readonly maxConcurrentDownloads?: number;
    /** `max-concurrent-uploads`. Default: unchanged. */
    readonly maxConcurrentUploads?: number;
    /**
     * The engine's cgroup driver (`exec-opts` `native.cgroupdriver=`). Default: unchanged. Set
     * `"systemd"` on systemd hosts; hosts without systemd need `"cgroupfs"`.
     */
    readonly cgroupDriver?: "systemd" | "cgroupfs";
}

/** Defaults of {@link DaemonSettings}, in one place. */
export const daemonSettingsDefaults = {
    liveRestore: true,
    logDriver: "json-file",
    logOpts: { "max-size": "10m", "max-file": "3" },
} as const;

/** The daemon.json keys the settings ask for, defaults applied. */
export function desiredDaemonKeys(settings: DaemonSettings = {}): Record<string, unknown> {
    const keys: Record<string, unknown> = {
        "live-restore": settings.liveRestore ?? daemonSettingsDefaults.liveRestore,
        "log-driver": settings.logDriver ?? daemonSettingsDefaults.logDriver,
        "log-opts": { ...(settings.logOpts ?? daemonSettingsDefaults.logOpts) },
    };
    if (settings.maxConcurrentDownloads !== undefined)
        keys["max-concurrent-downloads"] = settings.maxConcurrentDownloads;
    if (settings.maxConcurrentUploads !== undefined) keys["max-concurrent-uploads"] = settings.maxConcurrentUploads;
    if (settings.cgroupDriver !== undefined) keys["exec-opts"] = [`native.cgroupdriver=${settings.cgroupDriver}`];
    return keys;
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Merges the desired keys into a host's existing daemon.json text (empty text: no file).
 * Keys the host has and we do not manage are kept; `log-opts` is merged key by key; `exec-opts`
 * keeps every option except an earlier cgroup driver. Output is stable (2-space JSON, newline).
 * Throws when the existing text is not a JSON object, naming `hostLabel`.
 */
export function mergeDaemonJson(
    existingText: string,
    desired: Record<string, unknown>,
    hostLabel = "host",
): {
    text: string;
    changed: boolean;
} {
    let existing: Record<string, unknown> = {};
    if (existingText.trim().length > 0) {
        let parsed: unknown;
        try {
            parsed = JSON.parse(existingText);
        } catch (err) {
            throw new Error(
                `/etc/docker/daemon.json on ${hostLabel} is not valid JSON (${(err as Error).message}); fix or remove it`,
            );
        }
        if (!isObject(parsed)) {
            throw new Error(`/etc/docker/daemon.json on ${hostLabel} is not a JSON object; fix or remove it`);
        }
        existing = parsed;
    }
    const merged: Record<string, unknown> = { ...existing };
    for (const [key, value] of Object.entries(desired)) {
        if (key === "log-opts" && isObject(existing[key]) && isObject(value)) {
            merged[key] = { ...existing[key], ...value };
        } else if (key === "exec-opts" && Array.isArray(existing[key]) && Array.isArray(value)) {
            const kept = (existing[key] as unknown[]).filter(
                (opt) => !(typeof opt === "string" && opt.startsWith("native.cgroupdriver=")),
            );
            merged[key] = [...kept, ...(value as unknown[])];
        } else {
            merged[key] = value;
        }
    }
    const text = `${JSON.stringify(merged, null, 2)}\n`;
    const changed = existingText.trim().length === 0 || JSON.stringify(existing) !== JSON.stringify(merged);
    return { text, changed };
}
