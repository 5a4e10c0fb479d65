/**
 * A replicated registry's Args (issue 16, item 5): every bad input named by its field, each beside its good twin;
 * and the load balancer's config input they give.
 */

import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import {
    checkLoadBalancerArgs,
    checkReplicatedRegistryArgs,
    haproxyInputFor,
    loadBalancerDefaults,
    registryReplicaDefaults,
    renderHaproxyConfig,
} from "../../components/internal";
import type { LoadBalancerArgs, ReplicatedRegistryArgs } from "../../components/internal";
import { existingFile, fixtureHostKey } from "../support/fixtures";
import { makeLabPki } from "../support/labPki";

const key = existingFile();
const host = (address: string) => ({ address, privateKeyPath: key, hostKey: fixtureHostKey });

function good(): ReplicatedRegistryArgs & { loadBalancer: LoadBalancerArgs } {
    return {
        replicas: [
            { name: "replica-a", ...host("10.10.0.11") },
            { name: "replica-b", ...host("10.10.0.12"), serviceAddress: "192.168.7.12", port: 5443 },
        ],
        storage: {
            s3: {
                regionendpoint: "https://rgw.lab:7480",
                bucket: "registry",
                accesskey: pulumi.secret("AK"),
                secretkey: pulumi.secret("SK"),
                caCertPem: makeLabPki("rgw.lab").ca,
            },
        },
        loadBalancer: { ...host("10.10.0.10"), names: ["registry.lab"], ips: ["10.10.0.10"] },
        registryVersion: "3",
    };
}

describe("replicated registry Args: bad input fails at preview naming the field", () => {
    it("the good arguments pass", () => assert.deepEqual(checkReplicatedRegistryArgs("", good()), []));
    it("one replica on the host directory, without a load balancer, passes (the simple default)", () => {
        assert.deepEqual(checkReplicatedRegistryArgs("", { replicas: [good().replicas[0]] }), []);
    });
    it("replicas without S3 storage: `storage.s3` named, with the count (twin: the same with storage passes)", () => {
        const args = { ...good(), storage: undefined };
        assert.deepEqual(checkReplicatedRegistryArgs("", args), [
            "`storage.s3` is required with more than one replica (`replicas` has 2): replicas share blobs and manifests only through the object store, one host's directory is not seen by the others",
        ]);
    });
    it("replicas without a load balancer: `loadBalancer` named", () => {
        assert.deepEqual(checkReplicatedRegistryArgs("", { ...good(), loadBalancer: undefined }), [
            "`loadBalancer` is required with more than one replica (`replicas` has 2): clients reach the replicas through it",
        ]);
    });
    it("an S3 endpoint that is not a URL, a missing bucket, redirects on without a redirectendpoint: each named", () => {
        const g = good();
        const s3 = g.storage!.s3!;
        const args: ReplicatedRegistryArgs = {
            ...g,
            storage: {
                s3: { ...s3, regionendpoint: "rgw.lab:7480", bucket: undefined as unknown as string },
                redirect: { disable: false },
            },
        };
        assert.deepEqual(checkReplicatedRegistryArgs("", args), [
            '`storage.s3.regionendpoint` must be a URL (http:// or https://), got "rgw.lab:7480"',
            "`storage.s3.bucket` is required: the bucket the registry stores blobs and manifests in",
            "`storage.s3.redirectendpoint` is required when `storage.redirect.disable` is false: otherwise blob downloads are redirected to `storage.s3.regionendpoint`, which clients in an air gap often cannot reach",
        ]);
    });
    it("the version reaches the storage rules: redirectendpoint on 2.8 is refused, on 3.x accepted", () => {
        const g = good();
        const storage = { s3: { ...g.storage!.s3!, redirectendpoint: "https://s3.lab" }, redirect: { disable: false } };
        assert.deepEqual(checkReplicatedRegistryArgs("", { ...g, storage, registryVersion: "3" }), []);
        assert.deepEqual(checkReplicatedRegistryArgs("", { ...g, storage, registryVersion: "2" }), [
            "`storage.s3.redirectendpoint` needs registry 3.x: 2.8's s3 driver has no such key and would redirect clients to `storage.s3.regionendpoint`",
        ]);
    });
    it("replica fields: repeated name, bad service address, port, data dir, no host key", () => {
        const g = good();
        const args: ReplicatedRegistryArgs = {
            ...g,
            replicas: [
                g.replicas[0],
                { ...g.replicas[1], name: "replica-a", serviceAddress: "10.0.0..1", port: 70000, dataDir: "data" },
                { name: "replica-c", address: "10.10.0.13", privateKeyPath: key },
            ],
        };
        const problems = checkReplicatedRegistryArgs("", args);
        assert.deepEqual(problems.slice(0, 3), [
            '`replicas[1].serviceAddress` is not a valid IP address or hostname: "10.0.0..1"',
            "`replicas[1].port` must be a port number from 1 to 65535, got 70000",
            "`replicas[1].dataDir` must be an absolute path of letters, digits, '.', '_', '-' and '/', got \"data\"",
        ]);
        assert.match(problems[3], /^`replicas\[2\]\.hostKey`/, "a replica with no pinned host key is named");
        assert.equal(problems[4], '`replicas[1].name` repeats "replica-a", already used by `replicas[0].name`');
        assert.equal(problems.length, 5, problems.join("\n"));
    });
    it("no replicas at all", () => {
        assert.deepEqual(checkReplicatedRegistryArgs("", { replicas: [] }), ["`replicas` needs at least one replica"]);
    });
    it("a prefix names the fields where the Args sit in a larger config", () => {
        assert.deepEqual(checkReplicatedRegistryArgs("scaleOut", { ...good(), storage: undefined }), [
            "`scaleOut.storage.s3` is required with more than one replica (`scaleOut.replicas` has 2): replicas share blobs and manifests only through the object store, one host's directory is not seen by the others",
        ]);
    });
});

describe("load balancer Args", () => {
    it("good twin passes", () => assert.deepEqual(checkLoadBalancerArgs("loadBalancer", good().loadBalancer), []));
    it("no DNS name, a bad IP, a bad port, a zero timeout, a zero rise: each named", () => {
        const lb: LoadBalancerArgs = {
            ...good().loadBalancer,
            names: [],
            ips: ["10.10.0.300"],
            port: 0,
            timeouts: { clientSeconds: 0 },
            healthCheck: { rise: 0 },
        };
        assert.deepEqual(checkLoadBalancerArgs("loadBalancer", lb), [
            "`loadBalancer.names` needs at least one DNS name: clients use it, and the load balancer verifies each replica's certificate for it",
            '`loadBalancer.ips[0]` is not a valid IP address: "10.10.0.300"',
            "`loadBalancer.port` must be a port number from 1 to 65535, got 0",
            "`loadBalancer.timeouts.clientSeconds` must be a whole number of seconds from 1 to 86400, got 0",
            "`loadBalancer.healthCheck.rise` must be a whole number of checks from 1 to 100, got 0",
        ]);
    });
});

describe("the load balancer's config input from the Args", () => {
    it("every replica by name at its service address (default: its SSH address) and port (default 5000)", () => {
        const input = haproxyInputFor(good());
        assert.deepEqual(input, {
            port: loadBalancerDefaults.port,
            serverName: "registry.lab",
            replicas: [
                { name: "replica-a", address: "10.10.0.11", port: registryReplicaDefaults.port },
                { name: "replica-b", address: "192.168.7.12", port: 5443 },
            ],
        });
        assert.match(
            renderHaproxyConfig(input),
            /\n {4}server replica-b 192\.168\.7\.12:5443 check ssl verify required /,
        );
    });
    it("the load balancer's port, timeouts and health check pass through", () => {
        const g = good();
        const input = haproxyInputFor({
            ...g,
            loadBalancer: { ...g.loadBalancer, port: 443, timeouts: { serverSeconds: 900 }, healthCheck: { fall: 3 } },
        });
        assert.equal(input.port, 443);
        assert.deepEqual(input.timeouts, { serverSeconds: 900 });
        assert.deepEqual(input.healthCheck, { fall: 3 });
    });
});
