/**
 * Scripts ClientTrust runs on a client: trust store, certs.d (docker, podman, containerd hosts.toml), /etc/hosts, the
 * check. Pure.
 */

import { await401Function, detectOsFamilyLines, script, shellQuote } from "../ssh/shell";

/** OS family of a client; `auto` reads /etc/os-release on the client. */
export type OsFamily = "debian" | "rhel" | "auto";

/**
 * Where each OS family keeps extra trust anchors, and how it rebuilds its bundle. `update` runs with `$refresh` set
 * to 1 when an anchor file was removed or rewritten with other content: Debian's `update-ca-certificates` rehashes
 * /etc/ssl/certs only when an anchor is added, so it then needs `--fresh` (else the hashed directory keeps a link to
 * the removed or old CA and lacks the new one); RHEL's `update-ca-trust extract` rebuilds everything every time.
 */
export const osTrustStores = {
    debian: { dir: "/usr/local/share/ca-certificates", update: "update-ca-certificates ${refresh:+--fresh}" },
    rhel: { dir: "/etc/pki/ca-trust/source/anchors", update: "update-ca-trust extract" },
} as const;

/** Container engines whose per-registry CA directories ClientTrust fills. */
export const certsDirRoots = {
    docker: "/etc/docker/certs.d",
    podman: "/etc/containers/certs.d",
    containerd: "/etc/containerd/certs.d",
} as const;

/** An engine ClientTrust can configure: `docker`, `podman` or `containerd` (CRI, `config_path` hosts dirs). */
export type TrustEngine = keyof typeof certsDirRoots;

/** One per-registry directory to fill: `ca.crt`, plus `hosts.toml` for containerd. */
export interface CertsDirEntry {
    readonly dir: string;
    readonly hostsToml?: string;
}

/**
 * containerd's `hosts.toml` for a registry endpoint: the server and its CA, so containerd (and
 * kubelet pulls through CRI) verify TLS against it without a restart. containerd reads these
 * directories when its `config_path` points at /etc/containerd/certs.d. Pure.
 */
export function containerdHostsToml(endpoint: string, caPath: string): string {
    return [`server = "https://${endpoint}"`, `ca = "${caPath}"`, ""].join("\n");
}

/** The directories one endpoint needs for the given engines. Pure. */
export function certsDirEntries(endpoint: string, engines: readonly TrustEngine[]): CertsDirEntry[] {
    return engines.map((engine) => {
        const dir = certsDir(certsDirRoots[engine], endpoint);
        return engine === "containerd" ? { dir, hostsToml: containerdHostsToml(endpoint, `${dir}/ca.crt`) } : { dir };
    });
}

/** `<root>/<host:port>` for a registry endpoint (IPv6 endpoints keep their brackets). Pure. */
export function certsDir(root: string, endpoint: string): string {
    return `${root}/${endpoint}`;
}

/** Detects the OS family (for `auto`) into "$family". */
function familyLines(family: OsFamily): string[] {
    if (family !== "auto") {
        return [`family=${family}`];
    }
    return detectOsFamilyLines("family");
}

/**
 * The file of the `n`th certificate of the bundle in a trust store directory: `<anchor>.crt` for the first,
 * `<anchor>.<n>.crt` after it (during a CA rotation the second is the next CA). Pure.
 */
export function anchorFileName(anchorName: string, n: number): string {
    return n === 1 ? `${anchorName}.crt` : `${anchorName}.${n}.crt`;
}

/**
 * Shell functions for the anchors of one name in a trust store directory, one certificate a file: OpenSSL's
 * hashed directory (Debian's /etc/ssl/certs, built by `openssl rehash`) skips a file holding more than one, so
 * a two-CA bundle in one anchor would leave both CAs out of it.
 * - `install_anchors <dir> <anchor> <pem-file>`: writes each certificate of the file as its own anchor, removes
 *   numbered anchors of an earlier, longer bundle, and sets `$anchors` to the files written. Its cleanup also
 *   removes "$ca" (set it, empty when there is no temporary CA file).
 * - `remove_anchors <dir> <anchor> <keep>`: removes the anchor's numbered files above `<keep>` (0: all, and
 *   `<anchor>.crt` too).
 * Both set `$refresh` to 1 when they removed a file or gave an existing one other content.
 */
/** Splits the PEM bundle `file` (shell text) into "$split"/1.pem, 2.pem, ... one certificate each. */
function splitBundle(file: string): string {
    return `awk -v d="$split" '/-----BEGIN CERTIFICATE-----/ { n++; on = 1 } on { print > (d "/" n ".pem") } /-----END CERTIFICATE-----/ { on = 0; close(d "/" n ".pem") }' ${file}`;
}
const removeAnchorsFunction = [
    "refresh=''",
    "remove_anchors() {",
    '  if [ "$3" -eq 0 ] && [ -e "$1/$2.crt" ]; then rm -f "$1/$2.crt"; refresh=1; fi',
    '  for f in "$1/$2".[0-9]*.crt; do',
    '    [ -e "$f" ] || continue',
    "    n=${f%.crt}; n=${n##*.}",
    '    case "$n" in *[!0-9]*) continue ;; esac',
    '    if [ "$n" -gt "$3" ]; then rm -f "$f"; refresh=1; fi',
    "  done",
    "}",
];
const installAnchorsFunction = [
    "install_anchors() {",
    "  split=$(mktemp -d)",
    `  trap 'rm -rf "$split" "$ca"' EXIT`,
    `  ${splitBundle('"$3"')}`,
    "  count=0",
    "  anchors=''",
    '  while [ -e "$split/$((count + 1)).pem" ]; do',
    "    count=$((count + 1))",
    '    if [ "$count" -eq 1 ]; then name="$2.crt"; else name="$2.$count.crt"; fi',
    '    if [ -e "$1/$name" ] && [ "$(cat "$split/$count.pem")" != "$(cat "$1/$name")" ]; then refresh=1; fi',
    '    install -m 0644 "$split/$count.pem" "$1/$name"',
    '    anchors="$anchors $name"',
    "  done",
    '  rm -rf "$split"',
    '  remove_anchors "$1" "$2" "$count"',
    "}",
];
/** Both functions (install calls remove), as the create script carries them. */
export const anchorShellFunctions: readonly string[] = [...removeAnchorsFunction, ...installAnchorsFunction];

/**
 * Where ClientTrust keeps what a client's trust is made from: the CA bundle the OS anchors are copies of, and the
 * /etc/hosts lines it adds. HostFiles reads these back on every refresh; the anchors and /etc/hosts are rebuilt from
 * them (and checked against them).
 */
export const trustStateDir = "/etc/airgap-registry";

/** The CA bundle the OS trust store's anchors are made from: `/etc/airgap-registry/<anchor>.pem`. Pure. */
export function stagedBundlePath(anchorName: string): string {
    return `${trustStateDir}/${anchorName}.pem`;
}

/** The /etc/hosts lines ClientTrust owns, as a file: `/etc/airgap-registry/<anchor>.hosts`. Pure. */
export function hostsFragmentPath(anchorName: string): string {
    return `${trustStateDir}/${anchorName}.hosts`;
}

/** `dir=<the family's anchor directory>` for "$family", or exit 3 naming the setting to use. */
function anchorDirCase(): string[] {
    return [
        'case "$family" in',
        ...Object.entries(osTrustStores).map(([family, store]) => `  ${family}) dir=${shellQuote(store.dir)} ;;`),
        '  *) echo \'unknown OS family: set osFamily to "debian" or "rhel" for this client\' >&2; exit 3 ;;',
        "esac",
    ];
}

/** Runs the family's trust-store rebuild (`update-ca-certificates`, `update-ca-trust extract`). */
function rebuildCase(): string[] {
    return [
        'case "$family" in',
        ...Object.entries(osTrustStores).map(([family, store]) => `  ${family}) ${store.update} >/dev/null ;;`),
        "esac",
    ];
}

/**
 * The OS trust store made to match the staged bundle ({@link stagedBundlePath}): each certificate its own anchor
 * (see {@link anchorFileName}), numbered anchors of a longer bundle removed, the store rebuilt; when the bundle is
 * gone (the HostFiles was deleted), the anchor's files are removed and the store rebuilt. Run as HostFiles'
 * `onChange`. Pure.
 */
export function osTrustApplyScript(anchorName: string, family: OsFamily): string {
    const bundle = shellQuote(stagedBundlePath(anchorName));
    const anchor = shellQuote(anchorName);
    return script(
        ...familyLines(family),
        ...anchorDirCase(),
        "ca=''",
        ...anchorShellFunctions,
        `if [ -f ${bundle} ]; then`,
        `  mkdir -p "$dir"`,
        `  install_anchors "$dir" ${anchor} ${bundle}`,
        ...rebuildCase().map((l) => `  ${l}`),
        `  echo "installed$anchors in the $family trust store ($dir)"`,
        "else",
        `  remove_anchors "$dir" ${anchor} 0`,
        ...rebuildCase().map((l) => `  ${l}`),
        `  echo ${shellQuote(`removed ${anchorName}.crt and its numbered anchors from the trust store`)}" ($dir)"`,
        "fi",
    );
}

/**
 * Checks on the client, without the network, that the OS trust store holds the staged bundle: every certificate
 * of it as its anchor file, byte for byte. Run as HostFiles' `check`, so a refresh finds an anchor removed by hand
 * (and the update rebuilds the store). Pure.
 */
export function osTrustCheckScript(anchorName: string, family: OsFamily): string {
    const bundle = stagedBundlePath(anchorName);
    return script(
        ...familyLines(family),
        ...anchorDirCase(),
        `[ -f ${shellQuote(bundle)} ] || { echo ${shellQuote(`${bundle} is missing`)} >&2; exit 1; }`,
        "split=$(mktemp -d)",
        `trap 'rm -rf "$split"' EXIT`,
        splitBundle(shellQuote(bundle)),
        "n=0",
        'while [ -e "$split/$((n + 1)).pem" ]; do',
        "  n=$((n + 1))",
        `  if [ "$n" -eq 1 ]; then name=${shellQuote(`${anchorName}.crt`)}; else name=${shellQuote(anchorName)}".$n.crt"; fi`,
        `  cmp -s "$split/$n.pem" "$dir/$name" || { echo "$dir/$name is missing or is not certificate $n of ${bundle}" >&2; exit 1; }`,
        "done",
        `echo "the $family trust store holds the $n certificate(s) of ${bundle}"`,
    );
}

/**
 * The files of one endpoint's per-engine directories: `<dir>/ca.crt` (the CA) and, for containerd, `hosts.toml`.
 * Pure.
 */
export function certsDirFiles<Ca>(
    entries: readonly CertsDirEntry[],
    caPem: Ca,
): Array<{ path: string; content: Ca | string }> {
    return entries.flatMap((e) => [
        { path: `${e.dir}/ca.crt`, content: caPem },
        ...(e.hostsToml !== undefined ? [{ path: `${e.dir}/hosts.toml`, content: e.hostsToml }] : []),
    ]);
}

/** A static name-to-address entry for a client's /etc/hosts. */
export interface HostsEntry {
    readonly ip: string;
    readonly names: readonly string[];
}

/** The /etc/hosts lines ClientTrust owns, each tagged with a marker comment. Pure. */
export function hostsLines(entries: readonly HostsEntry[], marker: string): string[] {
    return entries.map((e) => `${e.ip} ${e.names.join(" ")} # ${marker}`);
}

/** The content of the hosts fragment ({@link hostsFragmentPath}): the tagged lines, one a line. Pure. */
export function hostsFragment(entries: readonly HostsEntry[], marker: string): string {
    return hostsLines(entries, marker).join("\n") + "\n";
}

/**
 * /etc/hosts made to hold exactly the fragment's tagged lines: every line tagged `# <marker>` removed, then the
 * fragment's lines appended (none when the fragment is gone: the HostFiles was deleted). Writes the file in place
 * (inside containers it is a bind mount). Run as HostFiles' `onChange`. Pure.
 */
export function hostsApplyScript(fragmentPath: string, marker: string): string {
    const fragment = shellQuote(fragmentPath);
    return script(
        "tmp=$(mktemp)",
        `trap 'rm -f "$tmp"' EXIT`,
        `grep -v -F -- ${shellQuote(`# ${marker}`)} /etc/hosts > "$tmp" || true`,
        `if [ -f ${fragment} ]; then cat ${fragment} >> "$tmp"; fi`,
        'cat "$tmp" > /etc/hosts',
        `echo "/etc/hosts: $(grep -c -F -- ${shellQuote(`# ${marker}`)} /etc/hosts || true) line(s) for ${marker}"`,
    );
}

/** Checks that /etc/hosts holds every line of the fragment (a line removed by hand fails it). Pure. */
export function hostsCheckScript(fragmentPath: string): string {
    const fragment = shellQuote(fragmentPath);
    return script(
        `[ -f ${fragment} ] || { echo ${shellQuote(`${fragmentPath} is missing`)} >&2; exit 1; }`,
        "while IFS= read -r line; do",
        '  [ -n "$line" ] || continue',
        '  grep -q -x -F -- "$line" /etc/hosts || { echo "/etc/hosts lacks: $line" >&2; exit 1; }',
        `done < ${fragment}`,
    );
}

/**
 * From the client: each endpoint's `/v2/` must answer 401 with TLS verified by the system trust
 * store (TLS trusted, auth enforced). Anything else fails with the client's name, the URL, the
 * status and curl's error. Retries for `timeoutSeconds` (a registry that is still starting). Pure.
 */
export function trustCheckScript(clientName: string, endpoints: readonly string[], timeoutSeconds = 30): string {
    return script(
        "command -v curl >/dev/null 2>&1 || { echo " +
            shellQuote(`client ${clientName}: curl is not installed, cannot check trust`) +
            " >&2; exit 2; }",
        ...await401Function(timeoutSeconds),
        "check() {",
        '  if await_401 "https://$1/v2/"; then',
        '    echo "client ' + clientName + ': https://$1/v2/ answers 401 over TLS verified by the system trust store"',
        "    return 0",
        "  fi",
        '  echo "client ' + clientName + ": https://$1/v2/ answered '$code' (expected 401): $curl_error\" >&2",
        "  return 1",
        "}",
        ...endpoints.map((e) => `check ${shellQuote(e)}`),
    );
}
