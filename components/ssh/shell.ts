/** Helpers for rendering POSIX shell scripts. Pure. */

/** Quotes a value for a POSIX shell (single quotes; embedded quotes escaped). */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Joins script lines under a strict-mode header. Every rendered script starts this way. */
export function script(...lines: Array<string | false | undefined>): string {
    return ["set -eu", ...lines.filter((l): l is string => typeof l === "string")].join("\n") + "\n";
}

/**
 * Shell functions to wait for the container engine and to restart it: systemd, then SysV
 * `service`, then (hosts without an init system, like the lab's) stopping dockerd and letting
 * its supervisor start it again.
 */
export const engineFunctions = [
    "engine_up() { docker info >/dev/null 2>&1; }",
    "wait_engine() {",
    "  i=0",
    "  until engine_up; do",
    "    i=$((i + 1))",
    "    if [ \"$i\" -gt 60 ]; then echo \"the container engine did not answer 'docker info' within 60s\" >&2; return 1; fi",
    "    sleep 1",
    "  done",
    "}",
    "start_engine() {",
    "  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then systemctl start docker",
    "  elif command -v service >/dev/null 2>&1 && [ -x /etc/init.d/docker ]; then service docker start || true",
    "  fi",
    "  wait_engine",
    "}",
    "restart_engine() {",
    "  echo 'restarting the container engine'",
    "  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then systemctl restart docker",
    "  elif command -v service >/dev/null 2>&1 && service docker status >/dev/null 2>&1; then service docker restart",
    "  else",
    "    echo 'dockerd is managed by neither systemd nor service: stopping it for its supervisor to restart' >&2",
    "    pkill -x dockerd || true",
    "    sleep 2",
    "  fi",
    "  wait_engine",
    "}",
];

/**
 * Sets shell variable `variable` to `debian`, `rhel` or `unknown` from /etc/os-release (ID and
 * ID_LIKE), the way HostPreparation and ClientTrust both detect a host's OS family.
 */
export function detectOsFamilyLines(variable: string): string[] {
    return [
        `${variable}=unknown`,
        "if [ -r /etc/os-release ]; then",
        "  # shellcheck source=/dev/null",
        "  ids=$(. /etc/os-release; echo \"${ID:-} ${ID_LIKE:-}\")",
        "  case \" $ids \" in",
        `    *' debian '*|*' ubuntu '*) ${variable}=debian ;;`,
        `    *' rhel '*|*' centos '*|*' fedora '*|*' rocky '*|*' almalinux '*) ${variable}=rhel ;;`,
        "  esac",
        "fi",
    ];
}
