/**
 * A scaled-out site on the lab, shared by the scale-out engine test and the replica-throughput bench: its hosts
 * (lab/scaleout.sh), the stack config with replicas, the store and the load balancer, and logins through the load
 * balancer.
 */

import { spawnSync } from "child_process";
import * as path from "path";
import type { RegistryCredential } from "../../components";
import { projectRoot } from "./engine";
import { labAddress, mustRun, type LabObjectStore } from "./lab";
import { devStackConfig, type ProjectStack } from "./stack";

/** The load balancer's endpoint on the lab: what clients push to and pull from. */
export const scaleOutEndpoint = "lb.lab:5443";

/** Exactly `count` replica hosts and the load-balancer host, all fresh (none kept from an earlier run); 0 removes them. */
export function freshScaleOutHosts(count: number): void {
    for (const n of count === 0 ? [0] : [0, count]) {
        const r = spawnSync("bash", [path.join(projectRoot, "lab", "scaleout.sh"), String(n)], {
            encoding: "utf8",
            stdio: ["ignore", "ignore", "pipe"],
            timeout: 900_000,
        });
        process.stderr.write(r.stderr ?? "");
        // Its own words in the error: a hook's failure is all a CI log may show of it.
        if (r.error !== undefined || r.status !== 0) {
            const how = r.error?.message ?? (r.signal !== null ? `killed by ${r.signal}` : `exit ${r.status}`);
            const tail = (r.stderr ?? "").trim().split("\n").slice(-20).join("\n");
            throw new Error(`lab/scaleout.sh ${n} failed (${how}):\n${tail}`);
        }
    }
}

/** The `replicas` config value for replica-1..`count` of the lab. */
export function replicasConfig(count: number): Array<Record<string, string>> {
    return Array.from({ length: count }, (_, i) => ({
        name: `replica-${i + 1}`,
        address: `replica-${i + 1}.lab`,
        privateKeyPath: ".lab/ssh/id_ed25519",
    }));
}

/**
 * The store's endpoint with its lab address instead of its name: the registry's container on a replica runs on its
 * nested dockerd's bridge network, whose copy of resolv.conf has none of the lab network's resolver (docker's
 * embedded 127.0.0.11 is dropped as a local address), so a lab name does not resolve there. A site whose hosts use a
 * network resolver has no such gap; the lab addresses its store by IP as many sites do.
 */
export function storeEndpointByAddress(storeEndpoint: string): string {
    const url = new URL(storeEndpoint);
    const container = url.hostname === "rgw.lab" ? "s3-ceph" : "s3";
    url.hostname = labAddress(container);
    return url.origin;
}

/**
 * The stack config of a scaled-out site: the dev stack's bastion, clients, users and CA; `replicaCount` replicas
 * running registry 3.1.2 on `store` under `rootdirectory`, and haproxy on lb.lab, instead of one host.
 */
export function scaleOutConfig(
    store: LabObjectStore,
    replicaCount: number,
    rootdirectory: string,
): Record<string, unknown> {
    const config = devStackConfig();
    delete config["airgap-registry:host"];
    return {
        ...config,
        "airgap-registry:registryImage": "airgap-registry/registry:3.1.2",
        "airgap-registry:registryImageArchive": ".lab/images/registry-v3-image.tar",
        "airgap-registry:replicas": replicasConfig(replicaCount),
        "airgap-registry:loadBalancer": {
            address: "lb.lab",
            privateKeyPath: ".lab/ssh/id_ed25519",
            names: ["lb.lab"],
            port: Number(scaleOutEndpoint.split(":")[1]),
            image: "airgap-registry/haproxy:2.6",
            imageArchive: ".lab/images/haproxy-image.tar",
        },
        "airgap-registry:storage": {
            s3: {
                regionendpoint: storeEndpointByAddress(store.endpoint),
                bucket: store.bucket,
                region: store.region,
                rootdirectory,
            },
        },
    };
}

/** Writes the stack's config for a scaled-out site and its S3 credentials as secrets. */
export function recreateScaleOutStack(
    stack: ProjectStack,
    store: LabObjectStore,
    replicaCount: number,
    rootdirectory: string,
): void {
    stack.recreate(scaleOutConfig(store, replicaCount, rootdirectory));
    stack.setSecret("s3AccessKey", store.accessKey);
    stack.setSecret("s3SecretKey", store.secretKey);
}

/** Logs `host` in through the load balancer as `user` (the password on stdin). */
export function loginThroughLoadBalancer(cfg: string, host: string, user: RegistryCredential): void {
    mustRun(cfg, host, `docker login ${scaleOutEndpoint} --username ${user.username} --password-stdin`, user.password);
}
