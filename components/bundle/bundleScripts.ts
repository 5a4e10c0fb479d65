import { engineFunctions, script, shellQuote } from "../host/shell";

/**
 * Installs the container engine from the bundle's packages, with no network, on a host that has
 * none; a host that already has an engine is left alone. Debian family: the package directory is
 * a flat apt repository (the bundle writes its `Packages` index) used through a private source
 * list that holds nothing else (so apt reads only local files and touches none of the host's own
 * sources); apt resolves new packages and needed upgrades the way it always does. RHEL family: dnf with the local .rpm files and every repository
 * disabled. The package manager resolves everything before changing anything, so a missing
 * dependency fails by name and leaves the host as it was. The packages it added are recorded;
 * delete removes exactly those. Pure.
 */
export function engineInstallScripts(
    packageDir: string,
    format: "deb" | "rpm",
    stateDir: string,
    packages: readonly string[] = format === "deb" ? ["docker.io"] : ["docker-ce", "docker-ce-cli", "containerd.io"],
): { create: string; delete: string } {
    const dir = shellQuote(packageDir);
    const names = packages.map(shellQuote).join(" ");
    const added = shellQuote(`${stateDir}/engine-packages-added`);
    const list = format === "deb" ? "dpkg-query -W -f '${Package}\\n' | sort" : "rpm -qa --qf '%{NAME}\\n' | sort";
    const install = format === "deb"
        ? [
            "repo=$(mktemp -d)",
            `echo "deb [trusted=yes] file:${packageDir} ./" > "$repo/sources.list"`,
            "mkdir -p \"$repo/lists/partial\"",
            "apt_opts=\"-o Dir::Etc::SourceList=$repo/sources.list -o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists=$repo/lists\"",
            "# shellcheck disable=SC2086",
            `{ apt-get $apt_opts update && DEBIAN_FRONTEND=noninteractive apt-get $apt_opts install -y --no-install-recommends -o Dpkg::Options::=--force-confold ${names}; } > "$log" 2>&1 || failed=1`,
            "rm -rf \"$repo\"",
        ]
        : [`dnf install -y --disablerepo='*' --nogpgcheck ${dir}/*.rpm > "$log" 2>&1 || failed=1`];
    const missing = format === "deb"
        ? "grep -oE 'Depends: [^ ]+' \"$log\" | cut -d' ' -f2 | sort -u | tr '\\n' ' '"
        : "grep -oE 'nothing provides [^ ]+' \"$log\" | cut -d' ' -f3 | sort -u | tr '\\n' ' '";
    const remove = format === "deb" ? "env DEBIAN_FRONTEND=noninteractive apt-get remove -y" : "dnf remove -y";
    return {
        create: script(
            ...engineFunctions,
            "if command -v docker >/dev/null 2>&1 || command -v podman >/dev/null 2>&1; then",
            "  echo 'a container engine is already installed: bundle packages not used'",
            "  exit 0",
            "fi",
            `mkdir -p ${shellQuote(stateDir)}`,
            "before=$(mktemp) after=$(mktemp) log=$(mktemp)",
            "trap 'rm -f \"$before\" \"$after\" \"$log\"' EXIT",
            `${list} > "$before"`,
            `echo "installing ${packages.join(", ")} from $(find ${dir} -maxdepth 1 -name '*.${format}' | wc -l) bundle packages (no network)"`,
            "failed=",
            ...install,
            "if [ -n \"$failed\" ]; then",
            `  echo "engine install from the bundle failed; missing dependencies: $(${missing})" >&2`,
            "  tail -15 \"$log\" >&2",
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
            `  rm -f ${added}`,
            "fi",
        ),
    };
}

/**
 * Restores a registry storage archive (seed 004) into `<dataDir>/data`, only when that directory
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

/** An image archive on the registry host and the reference it holds. */
export interface ServedImage {
    /** `name:tag` as saved, e.g. `team/app:1.2`; a registry host prefix is dropped. */
    readonly ref: string;
    /** Path of the `docker save` archive on the registry host. */
    readonly archivePath: string;
}

/** The repository path and tag an image is served under (`registry.lab:5000/team/app:1` -> `team/app`, `1`). Pure. */
export function servedName(ref: string): { repository: string; tag: string } {
    const withoutHost = ref.replace(/^[^/]*[.:][^/]*\//, "");
    const at = withoutHost.lastIndexOf(":");
    return at > 0 && !withoutHost.slice(at).includes("/")
        ? { repository: withoutHost.slice(0, at), tag: withoutHost.slice(at + 1) }
        : { repository: withoutHost, tag: "latest" };
}

/**
 * Pushes every image into the registry from its own host with TLS verification on: stdin is the
 * pushing user's password on the first line, then the CA certificate. An image whose manifest in
 * the registry already points at the same image ID is skipped, so a re-run pushes nothing.
 * Prints `name:tag@sha256:...` per image. Pure.
 */
export function populateScript(port: number, username: string, images: readonly ServedImage[]): string {
    const registry = `localhost:${port}`;
    return script(
        "IFS= read -r password",
        "umask 077",
        "auth=$(mktemp)",
        "trap 'rm -f \"$auth\"' EXIT",
        // curl reads the credentials from a 0600 file, never from its command line.
        `printf 'user = "%s:%s"\\n' ${shellQuote(username)} "$password" > "$auth"`,
        `mkdir -p /etc/docker/certs.d/${registry}`,
        `cat > /etc/docker/certs.d/${registry}/ca.crt`,
        `ca=/etc/docker/certs.d/${registry}/ca.crt`,
        `printf '%s' "$password" | docker login ${registry} --username ${shellQuote(username)} --password-stdin >/dev/null`,
        "accept='application/vnd.docker.distribution.manifest.v2+json,application/vnd.oci.image.manifest.v1+json'",
        "serve() { # archive source-ref repository tag",
        "  docker image inspect \"$2\" >/dev/null 2>&1 || docker load -i \"$1\" >/dev/null",
        "  id=$(docker image inspect --format '{{.Id}}' \"$2\")",
        `  served=$(curl -sS --cacert "$ca" -K "$auth" -H "Accept: $accept" "https://${registry}/v2/$3/manifests/$4" 2>/dev/null | tr -d ' \\t\\r\\n' | grep -o '"config":{[^}]*}' | grep -o 'sha256:[0-9a-f]*' || true)`,
        `  digest_of() { curl -sS -I --cacert "$ca" -K "$auth" -H "Accept: $accept" "https://${registry}/v2/$3/manifests/$4" | tr -d '\\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'; }`,
        "  if [ \"$served\" = \"$id\" ]; then",
        "    echo \"$3:$4@$(digest_of \"$@\") already served\" >&2",
        "  else",
        `    docker tag "$2" "${registry}/$3:$4"`,
        `    docker push "${registry}/$3:$4" >/dev/null`,
        "    echo \"$3:$4@$(digest_of \"$@\") pushed\" >&2",
        "  fi",
        "  echo \"$3:$4@$(digest_of \"$@\")\"",
        "}",
        ...images.map((img) => {
            const { repository, tag } = servedName(img.ref);
            return `serve ${shellQuote(img.archivePath)} ${shellQuote(img.ref)} ${shellQuote(repository)} ${shellQuote(tag)}`;
        }),
        `docker logout ${registry} >/dev/null`,
    );
}
