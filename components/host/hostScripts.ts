/** The create/delete scripts of HostPreparation's steps, each undoing exactly what its create did. Pure. */

import { engineFunctions, script, shellQuote } from "../ssh/shell";

/**
 * The create/delete scripts of HostPreparation's steps. Each create is idempotent and safe to
 * re-run; each delete undoes what its create did and nothing else (state the create found is
 * recorded in marker files under `<dataDir>/.state`). Pure.
 */
export interface StepScripts {
    readonly create: string;
    readonly delete: string;
}

/** Ensures a container engine is installed and answering; fails with a clear message if not. */
export function engineScripts(): StepScripts {
    return {
        create: script(
            ...engineFunctions,
            "if ! command -v docker >/dev/null 2>&1; then",
            "  echo 'no container engine on this host: docker is not installed (install Docker, or give an offline bundle)' >&2",
            "  exit 3",
            "fi",
            "engine_up || start_engine",
            "docker version --format 'engine {{.Server.Version}} ready'",
        ),
        delete: script("true"),
    };
}

/** Creates the `docker` group and adds users to it; delete removes only users it added. */
export function dockerGroupScripts(stateDir: string, users: readonly string[]): StepScripts {
    const marker = shellQuote(`${stateDir}/docker-group-added`);
    return {
        create: script(
            `mkdir -p ${shellQuote(stateDir)}`,
            "getent group docker >/dev/null 2>&1 || groupadd docker",
            ...users.map((u) => {
                const q = shellQuote(u);
                return `if ! id -nG ${q} | tr ' ' '\\n' | grep -qx docker; then usermod -aG docker ${q}; echo ${q} >> ${marker}; fi`;
            }),
        ),
        delete: script(
            `if [ -f ${marker} ]; then`,
            `  while read -r u; do gpasswd -d "$u" docker >/dev/null 2>&1 || true; done < ${marker}`,
            `  rm -f ${marker}`,
            "fi",
        ),
    };
}

/** Puts SELinux in permissive mode (now and across reboots); delete restores the mode found. */
export function selinuxPermissiveScripts(stateDir: string): StepScripts {
    const marker = shellQuote(`${stateDir}/selinux-was-enforcing`);
    return {
        create: script(
            `mkdir -p ${shellQuote(stateDir)}`,
            'if command -v getenforce >/dev/null 2>&1 && [ "$(getenforce)" = Enforcing ]; then',
            `  touch ${marker}`,
            "  setenforce 0",
            "fi",
            `if [ -f ${marker} ] && [ -f /etc/selinux/config ]; then sed -i 's/^SELINUX=enforcing$/SELINUX=permissive/' /etc/selinux/config; fi`,
            'echo "selinux: $(getenforce 2>/dev/null || echo absent)"',
        ),
        delete: script(
            `if [ -f ${marker} ]; then`,
            "  [ -f /etc/selinux/config ] && sed -i 's/^SELINUX=permissive$/SELINUX=enforcing/' /etc/selinux/config",
            "  setenforce 1 || true",
            `  rm -f ${marker}`,
            "fi",
        ),
    };
}

/**
 * Writes daemon.json from stdin when it differs from the file on the host, keeping the original
 * once, and restarts the engine only then. Delete restores the original (or removes the file if
 * there was none) and restarts the engine.
 */
export function daemonJsonScripts(stateDir: string): StepScripts {
    const file = "/etc/docker/daemon.json";
    const orig = shellQuote(`${stateDir}/daemon.json.orig`);
    const absent = shellQuote(`${stateDir}/daemon.json.absent`);
    return {
        create: script(
            ...engineFunctions,
            `mkdir -p ${shellQuote(stateDir)} /etc/docker`,
            "new=$(mktemp)",
            'cat > "$new"',
            `if [ -f ${file} ] && cmp -s "$new" ${file}; then rm -f "$new"; echo 'daemon.json unchanged'; exit 0; fi`,
            `if [ ! -f ${orig} ] && [ ! -f ${absent} ]; then`,
            `  if [ -f ${file} ]; then cp -p ${file} ${orig}; else touch ${absent}; fi`,
            "fi",
            `chmod 0644 "$new" && mv "$new" ${file}`,
            "echo 'daemon.json updated'",
            "restart_engine",
        ),
        delete: script(
            ...engineFunctions,
            `if [ -f ${orig} ]; then mv ${orig} ${file}; restart_engine`,
            `elif [ -f ${absent} ]; then rm -f ${file} ${absent}; restart_engine`,
            "fi",
        ),
    };
}

/**
 * Creates the registry's directories under `dataDir`. Delete removes the managed config
 * directories; `data` (the registry storage) stays unless `removeDataOnDestroy`.
 */
export function dataDirScripts(dataDir: string, removeDataOnDestroy: boolean): StepScripts {
    const d = shellQuote(dataDir);
    return {
        create: script(
            `mkdir -p ${d}/data ${d}/certs ${d}/auth ${d}/config ${d}/images ${d}/.state`,
            `chmod 0700 ${d}/certs ${d}/auth ${d}/.state`,
            `echo "data directory ${dataDir}: $(du -sh ${d}/data | cut -f1) stored"`,
        ),
        delete: script(
            `rm -rf ${d}/certs ${d}/auth ${d}/config ${d}/images ${d}/bundle ${d}/.state`,
            removeDataOnDestroy
                ? `rm -rf ${d}/data\nrmdir ${d} 2>/dev/null || true`
                : `echo "registry data kept in ${dataDir}/data"`,
        ),
    };
}

/**
 * Makes the registry image present on the host. With an archive (`path` on the host, `id` naming
 * it, e.g. a prefix of its SHA-256) the archive is loaded, so a new archive with the same tag
 * moves the tag to its image; the image ID it brought (absent before) is recorded in a file of
 * this archive, and delete removes exactly that image, by ID, when no container uses it (a
 * replaced archive's delete runs after the container rolled to the new image). Without an
 * archive the image must already be there. Prints the image ID last.
 */
export function loadImageScripts(
    stateDir: string,
    image: string,
    archive: { readonly path: string; readonly id: string } | undefined,
): StepScripts {
    const img = shellQuote(image);
    const marker = shellQuote(`${stateDir}/image-loaded.${archive?.id ?? "none"}`);
    const idOf = `docker image inspect --format '{{.Id}}' ${img}`;
    const present =
        archive === undefined
            ? [
                  `if docker image inspect ${img} >/dev/null 2>&1; then`,
                  `  echo ${shellQuote(`image ${image} already present`)}`,
                  "else",
                  `  echo ${shellQuote(`image ${image} is not on this host and no image archive was given (set registryImageArchive)`)} >&2`,
                  "  exit 4",
                  "fi",
              ]
            : [
                  `before=$(${idOf} 2>/dev/null || true)`,
                  `echo ${shellQuote(`loading ${image} from ${archive.path}`)}`,
                  `docker load -i ${shellQuote(archive.path)}`,
                  `after=$(${idOf} 2>/dev/null) || { echo ${shellQuote(`${archive.path} does not contain ${image}`)} >&2; exit 4; }`,
                  'if [ "$before" = "$after" ]; then',
                  `  echo ${shellQuote(`image ${image} already present with the archive's image ID`)}`,
                  "else",
                  `  mkdir -p ${shellQuote(stateDir)}`,
                  `  echo "$after" > ${marker}`,
                  "fi",
              ];
    return {
        create: script(...present, idOf),
        delete: script(
            `if [ -f ${marker} ]; then`,
            `  docker rmi "$(cat ${marker})" >/dev/null 2>&1 || echo ${shellQuote(`the image loaded for ${image} is still in use or gone: kept`)}`,
            `  rm -f ${marker}`,
            "fi",
        ),
    };
}
