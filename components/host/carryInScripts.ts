/** Scripts HostPreparation runs with what a carry-in bundle brings: the engine packages and a storage archive. Pure. */

import { engineFunctions, script, shellQuote } from "../ssh/shell";

/**
 * Installs the container engine from the bundle's packages, with no network, on a host that has
 * none; a host that already has an engine is left alone. Debian family: the directory holding
 * the bundle's `Packages` index, anywhere under `packageRoot`, is a flat apt repository used
 * through a private source list that holds nothing else (apt reads only local files and touches
 * none of the host's own sources). RHEL family: dnf with the local .rpm files and every
 * repository disabled. The package manager resolves everything before changing anything, so a
 * missing dependency fails by name and leaves the host as it was.
 *
 * The packages it added are recorded in a file of this package set (`setId`); delete removes
 * exactly those, and the copied packages. A new package set on a host whose engine an earlier
 * set installed takes over that set's record, so the earlier set's delete (which runs after the
 * new create) removes nothing: the engine under a running registry stays. Pure.
 */
export function engineInstallScripts(
    packageRoot: string,
    format: "deb" | "rpm",
    stateDir: string,
    setId: string,
    packages: readonly string[] = format === "deb" ? ["docker.io"] : ["docker-ce", "docker-ce-cli", "containerd.io"],
): { create: string; delete: string } {
    const root = shellQuote(packageRoot);
    const names = packages.map(shellQuote).join(" ");
    const recordPrefix = `${stateDir}/engine-packages-added`;
    const added = shellQuote(`${recordPrefix}.${setId}`);
    const list = format === "deb" ? "dpkg-query -W -f '${Package}\\n' | sort" : "rpm -qa --qf '%{NAME}\\n' | sort";
    const findPackages =
        format === "deb"
            ? `index=$(find ${root} -name Packages -type f -print | head -n 1)`
            : `index=$(find ${root} -name '*.rpm' -type f -print | head -n 1)`;
    const install =
        format === "deb"
            ? [
                  "repo=$(mktemp -d)",
                  'echo "deb [trusted=yes] file:$pkgdir ./" > "$repo/sources.list"',
                  'mkdir -p "$repo/lists/partial"',
                  'apt_opts="-o Dir::Etc::SourceList=$repo/sources.list -o Dir::Etc::SourceParts=/nonexistent' +
                      ' -o Dir::State::Lists=$repo/lists"',
                  "# shellcheck disable=SC2086",
                  `{ apt-get $apt_opts update && DEBIAN_FRONTEND=noninteractive apt-get $apt_opts install -y` +
                      ` --no-install-recommends -o Dpkg::Options::=--force-confold ${names}; } > "$log" 2>&1 || failed=1`,
                  'rm -rf "$repo"',
              ]
            : [`dnf install -y --disablerepo='*' --nogpgcheck "$pkgdir"/*.rpm > "$log" 2>&1 || failed=1`];
    const missing =
        format === "deb"
            ? "grep -oE 'Depends: [^ ]+' \"$log\" | cut -d' ' -f2 | sort -u | tr '\\n' ' '"
            : "grep -oE 'nothing provides [^ ]+' \"$log\" | cut -d' ' -f3 | sort -u | tr '\\n' ' '";
    const remove = format === "deb" ? "env DEBIAN_FRONTEND=noninteractive apt-get remove -y" : "dnf remove -y";
    return {
        create: script(
            ...engineFunctions,
            `mkdir -p ${shellQuote(stateDir)}`,
            "if command -v docker >/dev/null 2>&1 || command -v podman >/dev/null 2>&1; then",
            // Records of earlier package sets become this set's: their deletes then remove nothing.
            `  for earlier in ${shellQuote(recordPrefix)}*; do`,
            `    if [ -f "$earlier" ] && [ "$earlier" != ${added} ]; then`,
            `      cat "$earlier" >> ${added}`,
            '      rm -f "$earlier"',
            '      echo "took over the record of the packages an earlier bundle installed ($earlier)"',
            "    fi",
            "  done",
            "  echo 'a container engine is already installed: bundle packages not used'",
            "  exit 0",
            "fi",
            findPackages,
            `[ -n "$index" ] || { echo ${shellQuote(`no .${format} packages under ${packageRoot}`)} >&2; exit 5; }`,
            'pkgdir=$(dirname "$index")',
            "before=$(mktemp) after=$(mktemp) log=$(mktemp)",
            'trap \'rm -f "$before" "$after" "$log"\' EXIT',
            `${list} > "$before"`,
            `echo "installing ${packages.join(", ")} from $(find "$pkgdir" -maxdepth 1 -name '*.${format}' | wc -l) bundle packages (no network)"`,
            "failed=",
            ...install,
            'if [ -n "$failed" ]; then',
            `  echo "engine install from the bundle failed; missing dependencies: $(${missing})" >&2`,
            '  tail -15 "$log" >&2',
            "  exit 5",
            "fi",
            `${list} > "$after"`,
            `comm -13 "$before" "$after" > ${added}`,
            `echo "installed $(wc -l < ${added}) new packages"`,
            "if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then systemctl enable --now docker; fi",
            "wait_engine",
            "docker version --format 'engine {{.Server.Version}} ready'",
        ),
        delete: script(
            `if [ -s ${added} ]; then`,
            `  xargs ${remove} < ${added} >/dev/null`,
            "fi",
            `rm -f ${added}`,
            `rm -rf ${root}`,
        ),
    };
}

/**
 * Restores a registry storage archive into `<dataDir>/data`, only when that directory
 * is empty: existing registry data is never overwritten. Delete does nothing (data is kept). Pure.
 */
export function storageRestoreScript(dataDir: string, archivePath: string): string {
    const data = shellQuote(`${dataDir}/data`);
    return script(
        `mkdir -p ${data}`,
        `if [ -n "$(ls -A ${data})" ]; then`,
        `  echo ${shellQuote(`${dataDir}/data is not empty: storage archive not restored, existing data kept`)}`,
        "  exit 0",
        "fi",
        `tar -xzf ${shellQuote(archivePath)} -C ${data}`,
        `echo "restored registry storage into ${dataDir}/data ($(du -sh ${data} | cut -f1))"`,
    );
}
