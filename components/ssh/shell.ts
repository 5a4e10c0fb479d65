/** Helpers for rendering the POSIX shell scripts run on hosts, and the fragments several of them share. Pure. */

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
    '    if [ "$i" -gt 60 ]; then echo "the container engine did not answer \'docker info\' within 60s" >&2; return 1; fi',
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
        '  ids=$(. /etc/os-release; echo "${ID:-} ${ID_LIKE:-}")',
        '  case " $ids " in',
        `    *' debian '*|*' ubuntu '*) ${variable}=debian ;;`,
        `    *' rhel '*|*' centos '*|*' fedora '*|*' rocky '*|*' almalinux '*) ${variable}=rhel ;;`,
        "  esac",
        "fi",
    ];
}

/**
 * Reads a PEM certificate from stdin into a temporary file named by "$<variable>" (removed when
 * the script exits), refusing anything that is not a PEM certificate.
 */
export function pemFromStdinLines(variable: string): string[] {
    return [
        `${variable}=$(mktemp)`,
        `trap 'rm -f "$${variable}"' EXIT`,
        `cat > "$${variable}"`,
        `grep -q -- '-----BEGIN CERTIFICATE-----' "$${variable}" || { echo 'stdin is not a PEM certificate' >&2; exit 2; }`,
    ];
}

/**
 * Defines `await_401 <url> [curl options...]`: polls the URL once a second until it answers 401
 * (TLS accepted, authentication enforced), for at most `timeoutSeconds` tries. Returns 0 then;
 * else 1 with `$code` (the last HTTP status, 000 for none) and `$curl_error` (curl's message).
 * curl's errors go to a temporary file, never a fixed path.
 */
export function await401Function(timeoutSeconds: number): string[] {
    return [
        "await_401() {",
        "  url=$1",
        "  shift",
        "  curl_err=$(mktemp)",
        "  i=0",
        "  while :; do",
        '    code=$(curl -sS --connect-timeout 5 --max-time 15 -o /dev/null -w \'%{http_code}\' "$@" "$url" 2>"$curl_err") || true',
        '    if [ "$code" = 401 ]; then rm -f "$curl_err"; return 0; fi',
        "    i=$((i + 1))",
        `    if [ "$i" -ge ${timeoutSeconds} ]; then break; fi`,
        "    sleep 1",
        "  done",
        '  curl_error=$(cat "$curl_err")',
        '  rm -f "$curl_err"',
        "  return 1",
        "}",
    ];
}
