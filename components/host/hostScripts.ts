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
            `rm -rf ${d}/certs ${d}/auth ${d}/config ${d}/images ${d}/.state`,
            removeDataOnDestroy
                ? `rm -rf ${d}/data\nrmdir ${d} 2>/dev/null || true`
                : `echo "registry data kept in ${dataDir}/data"`,
        ),
    };
}

/**
 * Loads the registry image from a tarball already on the host, only when the image is absent.
 * Delete removes the image only if this step loaded it.
 */
export function loadImageScripts(stateDir: string, image: string, archivePath: string | undefined): StepScripts {
    const img = shellQuote(image);
    const marker = shellQuote(`${stateDir}/image-loaded`);
    const load =
        archivePath === undefined
            ? [
                  `echo ${shellQuote(`image ${image} is not on this host and no image archive was given (set registryImageArchive)`)} >&2`,
                  "exit 4",
              ]
            : [
                  `echo ${shellQuote(`loading ${image} from ${archivePath}`)}`,
                  `docker load -i ${shellQuote(archivePath)}`,
                  `docker image inspect ${img} >/dev/null 2>&1 || { echo ${shellQuote(`${archivePath} does not contain ${image}`)} >&2; exit 4; }`,
                  `mkdir -p ${shellQuote(stateDir)} && touch ${marker}`,
              ];
    return {
        create: script(
            `if docker image inspect ${img} >/dev/null 2>&1; then`,
            `  echo ${shellQuote(`image ${image} already present`)}`,
            "else",
            ...load.map((l) => `  ${l}`),
            "fi",
            `docker image inspect --format '{{.Id}}' ${img}`,
        ),
        delete: script(`if [ -f ${marker} ]; then docker rmi ${img} >/dev/null 2>&1 || true; rm -f ${marker}; fi`),
    };
}
