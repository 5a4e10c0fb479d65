/** What HostPreparation reads from a host first (OS family, engine, daemon.json), as a script and its parser. Pure. */

import { detectOsFamilyLines, script } from "../ssh/shell";

/** What HostPreparation learns about a host before changing anything. */
export interface HostFacts {
    /** `debian` (Debian, Ubuntu), `rhel` (RHEL, CentOS, Rocky, Alma, Fedora) or `unknown`. */
    readonly osFamily: "debian" | "rhel" | "unknown";
    /** The container engine found: `docker`, `podman` or `none`. */
    readonly engine: "docker" | "podman" | "none";
    /** The current /etc/docker/daemon.json, or "" when there is none. */
    readonly daemonJson: string;
}

/** Script that prints the host's facts as `key=value` lines (daemon.json base64-encoded). */
export function factsScript(): string {
    return script(
        ...detectOsFamilyLines("os_family"),
        "engine=none",
        "if command -v docker >/dev/null 2>&1; then engine=docker",
        "elif command -v podman >/dev/null 2>&1; then engine=podman",
        "fi",
        'echo "os_family=$os_family"',
        'echo "engine=$engine"',
        "if [ -s /etc/docker/daemon.json ]; then",
        '  echo "daemon_json=$(base64 -w0 /etc/docker/daemon.json)"',
        "else",
        "  echo 'daemon_json='",
        "fi",
    );
}

/** Parses the output of {@link factsScript}. Pure. */
export function parseHostFacts(stdout: string): HostFacts {
    const values = new Map<string, string>();
    for (const line of stdout.split("\n")) {
        const eq = line.indexOf("=");
        if (eq > 0) values.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
    }
    const osFamily = values.get("os_family");
    const engine = values.get("engine");
    return {
        osFamily: osFamily === "debian" || osFamily === "rhel" ? osFamily : "unknown",
        engine: engine === "docker" || engine === "podman" ? engine : "none",
        daemonJson: Buffer.from(values.get("daemon_json") ?? "", "base64").toString("utf8"),
    };
}
